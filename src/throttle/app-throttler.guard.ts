import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WarnEvery } from '../common/rate-limited-log';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitStore } from './rate-limit.store';

/** The name @nestjs/throttler gives a single unnamed throttler (and scopes its decorators by). */
const THROTTLER_NAME = 'default';
/**
 * Where `@SkipThrottle()` (from @nestjs/throttler, still what controllers use) stores its flag.
 * The library does not export the constant; app-throttler.guard.spec.ts pins it.
 */
export const SKIP_METADATA_KEY = `THROTTLER:SKIP${THROTTLER_NAME}`;

/**
 * The global HTTP throttler: one fixed window per route and client IP (routes do not share a
 * budget, as with @nestjs/throttler's guard). Identity is the client IP as Fastify resolves it,
 * so X-Forwarded-For only counts when TRUST_PROXY says the proxy is ours.
 *
 * Per request it does one Map lookup and one store call: whether a route is throttled (and its
 * key prefix) is worked out on its first request and kept, instead of the library guard's five
 * Reflector look-ups, promise-returning option resolvers and a SHA-256 of the key per request.
 *
 * Policy when the counter store cannot answer: fail open (serve the request, count it in
 * rate_limit_store_errors_total, log). Login has its own fail-closed limiter.
 */
@Injectable()
export class AppThrottlerGuard implements CanActivate {
  private readonly log = new Logger(AppThrottlerGuard.name);
  private readonly storeWarn = new WarnEvery(10_000);
  /** Handler → key prefix, or null when the route is not throttled. */
  private readonly routes = new Map<object, string | null>();
  private readonly limit: number;
  private readonly ttlMs: number;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly store: RateLimitStore,
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {
    this.limit = config.throttle.limit;
    this.ttlMs = config.throttle.ttlSec * 1000;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const handler = context.getHandler();
    let prefix = this.routes.get(handler);
    if (prefix === undefined) {
      prefix = this.resolve(context);
      this.routes.set(handler, prefix);
    }
    if (prefix === null) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    let counted: ReturnType<RateLimitStore['increment']>;
    try {
      counted = this.store.increment(
        prefix + req.ip,
        this.ttlMs,
        this.limit,
        this.ttlMs,
        THROTTLER_NAME,
      );
    } catch (err) {
      // A store may refuse at once (e.g. the Redis circuit breaker is open): same policy.
      return this.failOpen(err);
    }
    return counted.then(
      (r) => {
        if (!r.isBlocked) return true;
        void http.getResponse<FastifyReply>().header('Retry-After', r.timeToBlockExpire);
        throw new ThrottlerException();
      },
      (err: unknown) => this.failOpen(err),
    );
  }

  private resolve(context: ExecutionContext): string | null {
    const skip = this.reflector.getAllAndOverride<boolean | undefined>(SKIP_METADATA_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (skip) return null;
    return `${context.getClass().name}.${context.getHandler().name}:`;
  }

  private failOpen(err: unknown): boolean {
    this.metrics.rateLimitStoreFailed('http', 'fail-open');
    if (this.storeWarn.due()) {
      this.log.warn(
        { err: { message: err instanceof Error ? err.message : String(err) } },
        'Rate-limit store unavailable; serving requests without the limit (fail open)',
      );
    }
    return true;
  }
}
