import { Injectable, Logger } from '@nestjs/common';
import { WarnEvery } from '../common/rate-limited-log';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitStore } from './rate-limit.store';

/** The name @nestjs/throttler gives a single unnamed throttler (and scopes its decorators by). */
export const THROTTLER_NAME = 'default';

/**
 * The HTTP rate limit's counting: THROTTLE_LIMIT requests per THROTTLE_TTL_SEC per key (route +
 * client IP), one store call per request. Used by the global guard for Nest routes and by the
 * plain Fastify routes served beside them (one instance, provided with the store), so both count
 * alike.
 *
 * Policy when the counter store cannot answer: fail open (serve the request, count it in
 * rate_limit_store_errors_total, log). Login has its own fail-closed limiter.
 */
@Injectable()
export class HttpRateLimit {
  private readonly log = new Logger('HttpRateLimit');
  private readonly storeWarn = new WarnEvery(10_000);
  private readonly limit: number;
  private readonly ttlMs: number;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly store: RateLimitStore,
    private readonly metrics: MetricsService,
  ) {
    this.limit = config.throttle.limit;
    this.ttlMs = config.throttle.ttlSec * 1000;
  }

  /**
   * Counts one request of `key`. Resolves the seconds until the client may try again when it is
   * over the limit, or undefined when it may go on; undefined at once when the store refused
   * synchronously (e.g. the Redis circuit breaker is open).
   */
  hit(key: string): Promise<number | undefined> | undefined {
    let counted: ReturnType<RateLimitStore['increment']>;
    try {
      counted = this.store.increment(key, this.ttlMs, this.limit, this.ttlMs, THROTTLER_NAME);
    } catch (err) {
      this.failOpen(err);
      return undefined;
    }
    return counted.then(
      (r) => (r.isBlocked ? r.timeToBlockExpire : undefined),
      (err: unknown) => {
        this.failOpen(err);
        return undefined;
      },
    );
  }

  private failOpen(err: unknown): void {
    this.metrics.rateLimitStoreFailed('http', 'fail-open');
    if (this.storeWarn.due()) {
      this.log.warn(
        { err: { message: err instanceof Error ? err.message : String(err) } },
        'Rate-limit store unavailable; serving requests without the limit (fail open)',
      );
    }
  }
}
