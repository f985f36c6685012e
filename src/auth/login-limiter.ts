import { Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { RateLimitedError, ServiceUnavailableError } from '../common/errors';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitStore } from '../throttle/rate-limit.store';

/**
 * Login attempts are limited per client IP and per account (brute force and credential
 * stuffing). Fails CLOSED: if the counter store cannot answer, logins get 503.
 */
@Injectable()
export class LoginLimiter {
  private readonly log = new Logger('LoginLimiter');

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly store: RateLimitStore,
    private readonly metrics: MetricsService,
  ) {}

  async check(ip: string, username: string): Promise<void> {
    const ttl = this.config.throttle.loginTtlSec * 1000;
    const limit = this.config.throttle.loginLimit;
    let results;
    try {
      results = await Promise.all([
        this.store.increment(`login:ip:${ip}`, ttl, limit * 3, ttl, 'login-ip'),
        this.store.increment(`login:user:${username.toLowerCase()}`, ttl, limit, ttl, 'login-user'),
      ]);
    } catch (err) {
      this.metrics.rateLimitStoreFailed('http', 'fail-closed');
      this.log.warn(
        { err: { message: (err as Error).message } },
        'Rate-limit store unavailable; refusing logins (fail closed)',
      );
      throw new ServiceUnavailableError('Login is temporarily unavailable, try again shortly');
    }
    const blocked = results.filter((r) => r.isBlocked);
    if (blocked.length) {
      throw new RateLimitedError(
        Math.max(1, ...blocked.map((r) => r.timeToBlockExpire)),
        'Too many login attempts, try again later',
      );
    }
  }
}
