import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { RoomsService } from '../rooms/rooms.service';
import { ChatMessagesRepository } from './chat-messages.repository';

const BATCH = 1000;
/** Per run; the rest waits for the next run so one pass never holds the database for long. */
const MAX_BATCHES = 200;

/**
 * Deletes chat messages older than CHAT_RETENTION_DAYS (0 keeps them forever) and expired bans,
 * hourly, in batches of 1000 rows. Every instance runs it; the deletes are idempotent, so two
 * instances at once only share the work.
 */
@Injectable()
export class ChatRetentionJob {
  private readonly log = new Logger(ChatRetentionJob.name);
  private running = false;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly messages: ChatMessagesRepository,
    private readonly rooms: RoomsService,
    private readonly lifecycle: LifecycleService,
  ) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'chat-retention' })
  async scheduled(): Promise<void> {
    try {
      await this.run();
    } catch (err) {
      this.log.warn(
        { err: { message: (err as Error).message } },
        'Chat retention run failed; retrying next hour',
      );
    }
  }

  /** One pass; returns how many messages were deleted. */
  async run(now = new Date()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      let deleted = 0;
      if (this.config.chat.retentionDays > 0) {
        const cutoff = new Date(now.getTime() - this.config.chat.retentionDays * 86400_000);
        for (let i = 0; i < MAX_BATCHES && !this.lifecycle.shuttingDown; i++) {
          const n = await this.messages.deleteOlderThan(cutoff, BATCH);
          deleted += n;
          if (n < BATCH) break;
          // Let requests in between batches.
          await new Promise((r) => setImmediate(r));
        }
      }
      while (
        !this.lifecycle.shuttingDown &&
        (await this.rooms.pruneExpiredBans(now, BATCH)) === BATCH
      );
      if (deleted > 0)
        this.log.log(
          { deleted, retentionDays: this.config.chat.retentionDays },
          'Old chat messages deleted',
        );
      return deleted;
    } finally {
      this.running = false;
    }
  }
}
