import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpRateLimit, THROTTLER_NAME } from './http-rate-limit';

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
 * The counting and the store-failure policy (fail open) are HttpRateLimit's.
 */
@Injectable()
export class AppThrottlerGuard implements CanActivate {
  /** Handler → key prefix, or null when the route is not throttled. */
  private readonly routes = new Map<object, string | null>();

  constructor(
    private readonly limiter: HttpRateLimit,
    private readonly reflector: Reflector,
  ) {}

  /** The key prefix of a Nest route (`<Controller>.<handler>:`); plain routes use the same form. */
  static keyPrefix(controller: string, handler: string): string {
    return `${controller}.${handler}:`;
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
    const counted = this.limiter.hit(prefix + http.getRequest<FastifyRequest>().ip);
    if (counted === undefined) return true;
    return counted.then((retryAfterSec) => {
      if (retryAfterSec === undefined) return true;
      void http.getResponse<FastifyReply>().header('Retry-After', retryAfterSec);
      throw new ThrottlerException();
    });
  }

  private resolve(context: ExecutionContext): string | null {
    const skip = this.reflector.getAllAndOverride<boolean | undefined>(SKIP_METADATA_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (skip) return null;
    return AppThrottlerGuard.keyPrefix(context.getClass().name, context.getHandler().name);
  }
}
