import { Injectable, Logger } from '@nestjs/common';
import { WarnEvery } from '../common/rate-limited-log';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService, PlaybackProtocol } from '../metrics/metrics.service';
import { TtlCache } from '../common/ttl-cache';
import { ViewerSessionStore } from './viewer-session.store';

const LAST_COUNT_TTL_MS = 10 * 60_000;
const LAST_COUNT_MAX = 10_000;
/** A session refreshed within this long is not written again (at most TTL / 10). */
const REFRESH_EVERY_MS = 1000;
const RECENT_MAX = 100_000;

/**
 * `stream.viewers`: distinct playback sessions seen within PLAY_SESSION_TTL_SEC, over every
 * protocol, exact across instances (the store is shared when clustered).
 */
@Injectable()
export class ViewerSessions {
  private readonly log = new Logger('ViewerSessions');
  private readonly ttlMs: number;
  private readonly storeWarn = new WarnEvery(10_000);
  /** Last count read per stream: what the views show while the store is unavailable. */
  private readonly lastCounts = new TtlCache<number>(LAST_COUNT_TTL_MS, LAST_COUNT_MAX);
  /**
   * Sessions this instance wrote within the last refresh interval, with the moment written. A
   * player asks for its playlist and each segment (several HLS checks every few seconds per
   * viewer): one store write per session per interval is enough, so a viewer stops counting
   * at most that much before PLAY_SESSION_TTL_SEC after its last check.
   */
  private readonly recent: TtlCache<number>;
  private readonly refreshMs: number;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly store: ViewerSessionStore,
    private readonly metrics: MetricsService,
  ) {
    this.ttlMs = config.playSessionTtlSec * 1000;
    this.refreshMs = Math.min(REFRESH_EVERY_MS, this.ttlMs / 10);
    this.recent = new TtlCache<number>(this.refreshMs, RECENT_MAX);
  }

  /**
   * A session was seen now. It counts for the TTL, or until `holdUntilSec` (its expiry) when
   * given. Never throws: a store outage loses a refresh, not the play it belongs to.
   */
  async seen(
    streamId: string,
    sid: string,
    protocol: PlaybackProtocol,
    holdUntilSec?: number,
  ): Promise<void> {
    const now = Date.now();
    let until = now + this.ttlMs;
    if (holdUntilSec !== undefined && holdUntilSec * 1000 > until) until = holdUntilSec * 1000;
    const key = `${streamId}/${sid}`;
    const written = this.recent.get(key, now);
    if (written !== undefined && until <= written + this.refreshMs) return;
    try {
      if (await this.store.touch(streamId, sid, until, now))
        this.metrics.playbackSessionStarted(protocol);
      this.recent.set(key, until, now);
    } catch (err) {
      this.failed(err);
    }
  }

  /** The player left (play_done): it stops counting at once. Never throws. */
  async ended(streamId: string, sid: string): Promise<void> {
    this.recent.delete(`${streamId}/${sid}`);
    try {
      await this.store.release(streamId, sid);
    } catch (err) {
      // It ages out after the TTL instead.
      this.failed(err);
    }
  }

  /**
   * Sessions counted for a stream now. While the store is unavailable the stream views stay
   * up with the last count this instance read (0 when it never read one) instead of failing.
   */
  async count(streamId: string): Promise<number> {
    return (await this.counts([streamId])).get(streamId) ?? 0;
  }

  async counts(streamIds: readonly string[]): Promise<Map<string, number>> {
    try {
      const counts = await this.store.counts(streamIds, Date.now());
      for (const [id, n] of counts) this.lastCounts.set(id, n);
      return counts;
    } catch (err) {
      this.failed(err);
      return new Map(streamIds.map((id) => [id, this.lastCounts.get(id) ?? 0]));
    }
  }

  private failed(err: unknown): void {
    if (!this.storeWarn.due()) return;
    this.log.warn(
      { err: { message: err instanceof Error ? err.message : String(err) } },
      'Viewer session store unavailable; viewer counts may lag',
    );
  }
}
