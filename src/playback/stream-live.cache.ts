import { Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import {
  PlayableStreams,
  STREAM_LIVE,
  STREAM_OFFLINE,
  type StreamStateEvent,
} from '../common/ports';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { withTimeout } from '../common/errors';
import { TtlCache } from '../common/ttl-cache';
import { RedisService } from '../redis/redis.service';
import { guardFireAndForget } from '../redis/fire-and-forget';

/**
 * A safety net, not the mechanism: entries are replaced by the STREAM_LIVE/STREAM_OFFLINE events
 * of this instance and dropped by those of other instances (Redis pub/sub). An entry older than
 * this is read again, so a message lost while Redis was away (pub/sub is fire-and-forget) or a
 * change made without an event is wrong for at most this long.
 */
export const LIVE_CACHE_TTL_MS = 5000;
const MAX_ENTRIES = 50_000;
const CHANNEL = 'playback:stream-state';

/**
 * Whether a stream is live, for the play checks (the HLS check runs for every playlist and
 * segment request of every viewer and must not touch the database). A miss reads the stream
 * once (PlayableStreams), however many requests wait on it.
 */
@Injectable()
export class StreamLiveCache implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('StreamLiveCache');
  private readonly entries = new TtlCache<boolean>(LIVE_CACHE_TTL_MS, MAX_ENTRIES);
  private readonly loading = new Map<string, Promise<boolean>>();
  /** Bumped by every invalidation: a read that started before one must not store its result. */
  private epoch = 0;
  private readonly instanceId = randomUUID();
  private readonly channel: string;
  private readonly readTimeoutMs: number;
  private subscriber?: Redis;

  constructor(
    private readonly streams: PlayableStreams,
    @InjectConfig() config: AppConfig,
    @Optional() private readonly redis?: RedisService,
  ) {
    // Channel names are not prefixed by ioredis' keyPrefix; prefix them the same way by hand.
    this.channel = `${config.redis.keyPrefix}${CHANNEL}`;
    // A play check is a hook call: the media server waits on it, so a read fails closed in time.
    this.readTimeoutMs = config.hooks.publishTimeoutMs;
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    // Like the chat adapter's subscriber: (re)subscriptions queue while Redis is briefly away, and
    // the ones ioredis sends by itself on reconnect cannot end the process when they time out.
    this.subscriber = await this.redis.duplicate('playback-events', {
      keyPrefix: undefined,
      enableOfflineQueue: true,
    });
    guardFireAndForget(this.subscriber, ['subscribe', 'unsubscribe'], (err) =>
      this.log.warn(
        { err: { message: err instanceof Error ? err.message : String(err) } },
        'Playback state subscription failed; the cache falls back to its time-to-live',
      ),
    );
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const space = message.indexOf(' ');
      if (space < 0 || message.slice(0, space) === this.instanceId) return;
      this.invalidate(message.slice(space + 1));
    });
    await this.subscriber.subscribe(this.channel);
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscriber?.unsubscribe().catch(() => undefined);
  }

  /** Live or not; from memory unless unknown or older than LIVE_CACHE_TTL_MS. */
  isLive(streamId: string, nowMs = Date.now()): boolean | Promise<boolean> {
    const live = this.entries.get(streamId, nowMs);
    if (live !== undefined) return live;
    return this.load(streamId, nowMs);
  }

  @OnEvent(STREAM_LIVE)
  onLive(e: StreamStateEvent): void {
    this.changed(e.streamId, true);
  }

  @OnEvent(STREAM_OFFLINE)
  onOffline(e: StreamStateEvent): void {
    this.changed(e.streamId, false);
  }

  /** Forgets what is known of a stream (another instance changed it). */
  invalidate(streamId: string): void {
    this.epoch++;
    this.entries.delete(streamId);
    this.loading.delete(streamId);
  }

  private changed(streamId: string, live: boolean): void {
    this.epoch++;
    this.loading.delete(streamId);
    this.entries.set(streamId, live);
    if (this.redis?.isReady)
      this.redis.client.publish(this.channel, `${this.instanceId} ${streamId}`).catch((err) => {
        this.log.warn(
          { err: { message: (err as Error).message } },
          'Could not tell the other instances a stream changed; they notice within the cache TTL',
        );
      });
  }

  private load(streamId: string, nowMs: number): Promise<boolean> {
    const pending = this.loading.get(streamId);
    if (pending) return pending;
    const epoch = this.epoch;
    const p = withTimeout(this.streams.findPlayable(streamId), this.readTimeoutMs, 'stream state')
      .then((s) => {
        const live = s?.status === 'live';
        if (epoch === this.epoch) this.entries.set(streamId, live, nowMs);
        return live;
      })
      .finally(() => {
        if (this.loading.get(streamId) === p) this.loading.delete(streamId);
      });
    this.loading.set(streamId, p);
    return p;
  }
}
