import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { MetricsService } from '../metrics/metrics.service';

type RequestProps = Parameters<ThrottlerGuard['handleRequest']>[0];

/**
 * The global HTTP throttler. Identity is the client IP as Fastify resolves it, so
 * X-Forwarded-For only counts when TRUST_PROXY says the proxy is ours.
 * Policy when the counter store cannot answer: fail open (serve the request, count it in
 * rate_limit_store_errors_total, log). Login has its own fail-closed limiter.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  private readonly log = new Logger('Throttler');
  private lastWarn = 0;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {
    super(options, storage, reflector);
  }

  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    return Promise.resolve((req as unknown as FastifyRequest).ip);
  }

  protected override async handleRequest(props: RequestProps): Promise<boolean> {
    try {
      return await super.handleRequest(props);
    } catch (err) {
      if (err instanceof ThrottlerException) throw err;
      this.metrics.rateLimitStoreFailed('http', 'fail-open');
      const now = Date.now();
      if (now - this.lastWarn > 10000) {
        this.lastWarn = now;
        this.log.warn(
          { err: { message: (err as Error).message } },
          'Rate-limit store unavailable; serving requests without the limit (fail open)',
        );
      }
      return true;
    }
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return Promise.resolve(true);
    return super.canActivate(context);
  }
}
