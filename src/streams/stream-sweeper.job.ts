import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { PublishingService } from './publishing.service';

/** Sweep at least this often however long STREAM_STALE_SEC is (a stream ends ≤ 10 s late). */
const MAX_INTERVAL_MS = 10_000;
/** ... and never more often than this, however short it is. */
const MIN_INTERVAL_MS = 250;

/** How often to sweep for a given STREAM_STALE_SEC: a quarter of it, within the bounds above. */
export function sweepIntervalMs(staleSec: number): number {
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, (staleSec * 1000) / 4));
}

/**
 * Runs PublishingService.sweepStale on every instance. Which instance ends a given stream is
 * decided by the database (one conditional UPDATE), so no lock or leader is needed. Runs are
 * chained with setTimeout (the next is scheduled when the previous finished: never two at
 * once) and stop when the application shuts down.
 */
@Injectable()
export class StreamSweeperJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(StreamSweeperJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly publishing: PublishingService,
    private readonly lifecycle: LifecycleService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.liveState.streamStaleSec <= 0) return;
    this.lifecycle.onDrain(() => this.stop());
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, sweepIntervalMs(this.config.liveState.streamStaleSec));
    // A pending sweep alone must not keep the process alive.
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    try {
      await this.publishing.sweepStale();
    } catch (err) {
      this.log.warn(
        { err: { message: (err as Error).message } },
        'Sweeping stale live streams failed; retrying at the next run',
      );
    }
  }
}
