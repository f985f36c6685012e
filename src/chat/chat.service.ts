import { Injectable, Logger } from '@nestjs/common';
import type { AuthUser } from '../auth/auth.types';
import { canManage } from '../auth/auth.types';
import { WarnEvery } from '../common/rate-limited-log';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { DomainError, ForbiddenError, NotFoundError, RateLimitedError } from '../common/errors';
import { decodeCursor, Page, PageQueryDto, toPage } from '../common/pagination';
import { MetricsService } from '../metrics/metrics.service';
import { RoomsService } from '../rooms/rooms.service';
import { RateLimitStore } from '../throttle/rate-limit.store';
import type { ChatMessageEntity } from './chat-message.entity';
import { ChatMessagesRepository } from './chat-messages.repository';
import type { ChatMessageView } from './chat.events';

export class BannedError extends DomainError {
  constructor(readonly until: Date | null) {
    super(
      'BANNED',
      until
        ? `you are banned from this room until ${until.toISOString()}`
        : 'you are banned from this room',
    );
  }
}

export type Sender = Pick<AuthUser, 'id' | 'displayName'>;

export function toMessageView(m: ChatMessageEntity): ChatMessageView {
  return {
    id: m.id,
    roomId: m.roomId,
    user: { id: m.userId, displayName: m.displayName },
    text: m.text,
    createdAt: m.createdAt.toISOString(),
  };
}

/**
 * Chat rules, transport-agnostic (the gateway and the history route call it). A message is
 * persisted before anybody hears of it, so an acknowledged message is always in history.
 */
@Injectable()
export class ChatService {
  private readonly log = new Logger(ChatService.name);
  private readonly storeWarn = new WarnEvery(10_000);

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly messages: ChatMessagesRepository,
    private readonly rooms: RoomsService,
    private readonly limits: RateLimitStore,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Sends `text` (already validated and trimmed) to a room the sender is in.
   * `duplicate` is true when clientMsgId was seen before: the first message is returned and
   * must not be broadcast again.
   */
  async send(
    sender: Sender,
    roomId: string,
    text: string,
    clientMsgId?: string,
  ): Promise<{ message: ChatMessageView; duplicate: boolean }> {
    // A retry (same clientMsgId, e.g. after a reconnect) answers with the original before any
    // other rule, so it is never refused by the rate limit or a later ban; both lookups are
    // single-row index reads and run together.
    const [previous, ban] = await Promise.all([
      clientMsgId ? this.messages.findByClientMsgId(sender.id, clientMsgId) : Promise.resolve(null),
      this.rooms.findActiveBan(roomId, sender.id),
    ]);
    if (previous) return { message: toMessageView(previous), duplicate: true };
    if (ban) throw new BannedError(ban.until);
    await this.checkRate(sender.id);
    const saved = await this.messages.insert({
      roomId,
      userId: sender.id,
      displayName: sender.displayName,
      text,
      clientMsgId: clientMsgId ?? null,
    });
    if (saved) return { message: toMessageView(saved), duplicate: false };
    // Lost a race with a concurrent send of the same clientMsgId: answer with the winner.
    const winner = clientMsgId
      ? await this.messages.findByClientMsgId(sender.id, clientMsgId)
      : null;
    if (!winner) throw new Error('message vanished after a clientMsgId conflict');
    return { message: toMessageView(winner), duplicate: true };
  }

  /** Hides a message (room host or admin). `changed` is false when it was already hidden. */
  async hide(
    user: AuthUser,
    messageId: string,
  ): Promise<{ id: string; roomId: string; changed: boolean }> {
    const message = await this.messages.findById(messageId);
    if (!message) throw new NotFoundError('message');
    const room = await this.rooms.require(message.roomId);
    if (!canManage(user, room.hostId))
      throw new ForbiddenError('only the host of the room or an admin may delete messages');
    const changed = await this.messages.hide(messageId);
    return { id: message.id, roomId: message.roomId, changed };
  }

  async history(roomId: string, q: PageQueryDto): Promise<Page<ChatMessageView>> {
    await this.rooms.require(roomId);
    const limit = q.limit ?? 20;
    const rows = await this.messages.pageVisibleByRoom(roomId, decodeCursor(q.cursor), limit);
    return toPage(rows, limit, toMessageView);
  }

  /** Per-user send limit, shared by every instance through RateLimitStore. Fails open. */
  private async checkRate(userId: string): Promise<void> {
    const windowMs = this.config.chat.rateWindowSec * 1000;
    let rec;
    try {
      rec = await this.limits.increment(
        `chat:send:${userId}`,
        windowMs,
        this.config.chat.rateLimit,
        windowMs,
        'chat-send',
      );
    } catch (err) {
      // Chat stays usable while the counter store is away; the outage is counted and logged.
      this.metrics.rateLimitStoreFailed('ws', 'fail-open');
      if (this.storeWarn.due()) {
        this.log.warn(
          { err: { message: (err as Error).message } },
          'Rate-limit store unavailable; chat sends are not limited (fail open)',
        );
      }
      return;
    }
    if (rec.isBlocked)
      throw new RateLimitedError(
        Math.max(1, rec.timeToBlockExpire),
        `too many messages: at most ${this.config.chat.rateLimit} per ${this.config.chat.rateWindowSec} s`,
      );
  }
}
