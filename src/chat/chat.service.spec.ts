import { loadConfig } from '../config/app-config';
import { RateLimitedError } from '../common/errors';
import { fakeMetrics, fakeOf } from '../../test/helpers/fakes';
import { RoomsService } from '../rooms/rooms.service';
import { RateLimitStore } from '../throttle/rate-limit.store';
import type { ChatMessageEntity } from './chat-message.entity';
import { ChatMessagesRepository, type NewChatMessage } from './chat-messages.repository';
import { BannedError, ChatService } from './chat.service';

const ROOM = '0b6f7f4e-2a4b-4f49-9a57-2d4a7f0c9e11';
const sender = { id: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11', displayName: 'Ann' };

function setup(
  opts: { ban?: { until: Date | null }; blocked?: boolean; storeDown?: boolean } = {},
) {
  const rows: ChatMessageEntity[] = [];
  const messages = fakeOf(ChatMessagesRepository, {
    insert: jest.fn(async (m: NewChatMessage) => {
      if (
        m.clientMsgId &&
        rows.some((r) => r.userId === m.userId && r.clientMsgId === m.clientMsgId)
      )
        return null;
      const row = {
        ...m,
        id: `id-${rows.length}`,
        hiddenAt: null,
        createdAt: new Date(),
      } as ChatMessageEntity;
      rows.push(row);
      return row;
    }),
    findByClientMsgId: jest.fn(
      async (userId: string, c: string) =>
        rows.find((r) => r.userId === userId && r.clientMsgId === c) ?? null,
    ),
  });
  const rooms = fakeOf(RoomsService, {
    findActiveBan: jest.fn(async (roomId: string, userId: string) =>
      opts.ban
        ? {
            id: 'ban-1',
            roomId,
            userId,
            until: opts.ban.until,
            createdById: 'host',
            createdAt: new Date(),
          }
        : null,
    ),
  });
  const limits = fakeOf(RateLimitStore, {
    increment: jest.fn(async () => {
      if (opts.storeDown) throw new Error('Redis is unavailable');
      return {
        totalHits: 1,
        timeToExpire: 5,
        isBlocked: !!opts.blocked,
        timeToBlockExpire: opts.blocked ? 4 : 0,
      };
    }),
  });
  const metrics = fakeMetrics();
  const svc = new ChatService(loadConfig({}), messages, rooms, limits, metrics);
  return { svc, rows, messages, limits, metrics };
}

describe('ChatService.send', () => {
  it('persists and returns the message view', async () => {
    const { svc, rows } = setup();
    const r = await svc.send(sender, ROOM, 'hi', 'c-1');
    expect(r).toEqual({
      duplicate: false,
      message: {
        id: 'id-0',
        roomId: ROOM,
        user: { id: sender.id, displayName: 'Ann' },
        text: 'hi',
        createdAt: expect.any(String),
      },
    });
    expect(rows).toHaveLength(1);
  });

  it('answers a repeated clientMsgId with the first message, even when rate-limited or banned since', async () => {
    const first = setup();
    const a = await first.svc.send(sender, ROOM, 'hi', 'c-1');
    const { svc, rows, limits } = setup({ blocked: true, ban: { until: null } });
    rows.push(...first.rows);
    const b = await svc.send(sender, ROOM, 'hi again', 'c-1');
    expect(b).toEqual({ duplicate: true, message: a.message });
    expect(limits.increment).not.toHaveBeenCalled();
  });

  it('refuses banned users with the ban expiry, before counting against the limit', async () => {
    const until = new Date(Date.now() + 60_000);
    const { svc, rows, limits } = setup({ ban: { until } });
    await expect(svc.send(sender, ROOM, 'hi')).rejects.toEqual(new BannedError(until));
    expect(rows).toHaveLength(0);
    expect(limits.increment).not.toHaveBeenCalled();
  });

  it('refuses over the limit with a retry time and stores nothing', async () => {
    const { svc, rows } = setup({ blocked: true });
    const err = await svc.send(sender, ROOM, 'hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).details?.retryAfterSec).toBe(4);
    expect(rows).toHaveLength(0);
  });

  it('keeps chat working when the counter store is down (fail open), and counts it', async () => {
    const { svc, rows, metrics } = setup({ storeDown: true });
    await expect(svc.send(sender, ROOM, 'hi')).resolves.toMatchObject({ duplicate: false });
    expect(rows).toHaveLength(1);
    expect(metrics.rateLimitStoreFailed).toHaveBeenCalledWith('ws', 'fail-open');
  });

  it('answers the loser of a concurrent same-clientMsgId race with the winner', async () => {
    const { svc, messages } = setup();
    const winner = await svc.send(sender, ROOM, 'x', 'c-9');
    messages.findByClientMsgId.mockResolvedValueOnce(null); // the pre-check ran before the winner committed
    await expect(svc.send(sender, ROOM, 'x', 'c-9')).resolves.toEqual({
      duplicate: true,
      message: winner.message,
    });
  });
});
