import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { RateLimitStore, ThrottlerStorageRecord } from './rate-limit.store';

interface Entry {
  hits: number;
  windowEndsAt: number;
  blockedUntil: number;
}

/**
 * In-process fixed-window counters with the same semantics as the Redis store's Lua script
 * (@nest-lab/throttler-storage-redis): count hits per window, block for `blockDuration` once the
 * count exceeds the limit. O(1) per check — the library's in-memory storage keeps one timestamp
 * per hit and filters them on every request, which made a high limit cost O(limit) per request.
 * One sweep interval (unref'd) drops idle keys; there is never a timer per request.
 */
@Injectable()
export class MemoryRateLimitStore extends RateLimitStore implements OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  private readonly sweep: NodeJS.Timeout;

  constructor() {
    super();
    this.sweep = setInterval(() => this.evictIdle(Date.now()), 30_000);
    this.sweep.unref();
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    // Keys are scoped by throttler name so a block under one limit never leaks into another.
    const k = `${throttlerName}:${key}`;
    let e = this.entries.get(k);
    if (!e) {
      e = { hits: 0, windowEndsAt: now + ttl, blockedUntil: 0 };
      this.entries.set(k, e);
    }
    if (e.blockedUntil !== 0 && e.blockedUntil <= now) {
      // The block is over: start afresh.
      e.blockedUntil = 0;
      e.hits = 0;
      e.windowEndsAt = now + ttl;
    }
    if (e.windowEndsAt <= now) {
      e.hits = 0;
      e.windowEndsAt = now + ttl;
    }
    e.hits += 1;
    if (e.blockedUntil === 0 && e.hits > limit) e.blockedUntil = now + blockDuration;
    const isBlocked = e.blockedUntil > now;
    return Promise.resolve({
      totalHits: e.hits,
      timeToExpire: Math.ceil((e.windowEndsAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((e.blockedUntil - now) / 1000) : 0,
    });
  }

  private evictIdle(now: number): void {
    for (const [k, e] of this.entries) {
      if (e.windowEndsAt <= now && e.blockedUntil <= now) this.entries.delete(k);
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.sweep);
  }
}
