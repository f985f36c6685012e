import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError, RateLimitedError, UnauthorizedError } from '../common/errors';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitStore } from '../throttle/rate-limit.store';

/**
 * Hashing both sides first makes the comparison constant-time in the token's length too, which is
 * why this compares two fixed 32-byte digests instead of using safeEqual (that one reveals length).
 */
function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Alertmanager authenticates with `Authorization: Bearer <ALERT_WEBHOOK_TOKEN>`.
 *
 * - Token not configured: the relay is off and the route answers 404 (a disabled feature, not a
 *   temporary outage: a 503 would only make Alertmanager retry something that cannot succeed).
 * - Right token: always let through. The global throttler is skipped for this route, so a burst
 *   of alerts is never answered 429 (Alertmanager does not retry 4xx: the alerts would be lost),
 *   and a token guesser on the same address (e.g. the proxy without TRUST_PROXY) cannot lock
 *   Alertmanager out.
 * - Missing or wrong token: 401, and counted per client address in the shared rate-limit store;
 *   past LOGIN_THROTTLE_LIMIT failures per LOGIN_THROTTLE_TTL_SEC the address gets 429 (guessing
 *   the token is credential guessing, so it shares the login policy).
 */
@Injectable()
export class AlertTokenGuard implements CanActivate {
  private readonly log = new Logger(AlertTokenGuard.name);
  private readonly expected: string | undefined;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly store: RateLimitStore,
    private readonly metrics: MetricsService,
  ) {
    this.expected = config.alerts.webhookToken;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.expected === undefined)
      throw new DomainError('NOT_FOUND', 'The alert relay is not enabled on this server');
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    if (match && tokenMatches(match[1], this.expected)) return true;
    await this.countFailure(req.ip);
    throw new UnauthorizedError(
      'A valid alert webhook token is required (Authorization: Bearer <ALERT_WEBHOOK_TOKEN>)',
    );
  }

  private async countFailure(ip: string): Promise<void> {
    const ttl = this.config.throttle.loginTtlSec * 1000;
    let record;
    try {
      record = await this.store.increment(
        `alerts:auth:ip:${ip}`,
        ttl,
        this.config.throttle.loginLimit,
        ttl,
        'alerts-auth',
      );
    } catch (err) {
      // The token check already refused the request; the limiter only slows guessing down.
      this.metrics.rateLimitStoreFailed('http', 'fail-open');
      this.log.warn(
        { err: { message: (err as Error).message } },
        'Rate-limit store unavailable; not counting a failed alert-token attempt',
      );
      return;
    }
    if (record.isBlocked)
      throw new RateLimitedError(
        Math.max(1, record.timeToBlockExpire),
        'Too many requests with a wrong alert webhook token, try again later',
      );
  }
}
