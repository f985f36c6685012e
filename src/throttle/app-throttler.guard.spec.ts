import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SkipThrottle, ThrottlerException } from '@nestjs/throttler';
import {
  fakeConfig,
  fakeHttpContext,
  fakeMetrics,
  fakeOf,
  type MethodsOf,
} from '../../test/helpers/fakes';
import { AppThrottlerGuard, SKIP_METADATA_KEY } from './app-throttler.guard';
import { HttpRateLimit } from './http-rate-limit';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore } from './rate-limit.store';

class StreamsLike {
  one(): void {}
  other(): void {}
  @SkipThrottle()
  skipped(): void {}
}
@SkipThrottle()
class HealthLike {
  live(): void {}
}

function context<C extends StreamsLike | HealthLike>(
  cls: new () => C,
  handler: MethodsOf<C>,
  ip: string,
  headers: Record<string, unknown>,
): ExecutionContext {
  return fakeHttpContext({
    cls,
    handler,
    request: { ip },
    response: {
      header(name: string, value: unknown) {
        headers[name] = value;
        return this;
      },
    },
  });
}

describe('AppThrottlerGuard', () => {
  const config = fakeConfig({ throttle: { limit: 3, ttlSec: 60 } });
  let store: MemoryRateLimitStore;
  const failed = jest.fn();
  const metrics = fakeMetrics({ rateLimitStoreFailed: failed });

  beforeEach(() => {
    store = new MemoryRateLimitStore();
    failed.mockClear();
  });
  afterEach(() => store.onModuleDestroy());

  it('reads the flag exactly where @SkipThrottle() writes it, on a class and on a method', () => {
    expect(Reflect.getMetadata(SKIP_METADATA_KEY, HealthLike)).toBe(true);
    expect(Reflect.getMetadata(SKIP_METADATA_KEY, StreamsLike.prototype.skipped)).toBe(true);
  });

  it('lets exactly the limit through per route and client IP, then refuses with Retry-After', async () => {
    const guard = new AppThrottlerGuard(new HttpRateLimit(config, store, metrics), new Reflector());
    const headers: Record<string, unknown> = {};
    for (let i = 0; i < 3; i++)
      await expect(
        guard.canActivate(context(StreamsLike, 'one', '10.0.0.1', headers)),
      ).resolves.toBe(true);
    await expect(
      guard.canActivate(context(StreamsLike, 'one', '10.0.0.1', headers)),
    ).rejects.toBeInstanceOf(ThrottlerException);
    expect(Number(headers['Retry-After'])).toBeGreaterThan(0);
    // Another client, and another route for the same client, have budgets of their own.
    await expect(guard.canActivate(context(StreamsLike, 'one', '10.0.0.2', {}))).resolves.toBe(
      true,
    );
    await expect(guard.canActivate(context(StreamsLike, 'other', '10.0.0.1', {}))).resolves.toBe(
      true,
    );
  });

  it('never counts routes marked @SkipThrottle()', async () => {
    const increment = jest.spyOn(store, 'increment');
    const guard = new AppThrottlerGuard(new HttpRateLimit(config, store, metrics), new Reflector());
    for (let i = 0; i < 10; i++) {
      expect(await guard.canActivate(context(HealthLike, 'live', '10.0.0.1', {}))).toBe(true);
      expect(await guard.canActivate(context(StreamsLike, 'skipped', '10.0.0.1', {}))).toBe(true);
    }
    expect(increment).not.toHaveBeenCalled();
  });

  it('serves the request when the counter store fails, and counts the failure', async () => {
    const broken = fakeOf(RateLimitStore, {
      increment: () => Promise.reject(new Error('Redis is unavailable')),
    });
    const guard = new AppThrottlerGuard(
      new HttpRateLimit(config, broken, metrics),
      new Reflector(),
    );
    await expect(guard.canActivate(context(StreamsLike, 'one', '10.0.0.1', {}))).resolves.toBe(
      true,
    );
    expect(failed).toHaveBeenCalledWith('http', 'fail-open');
  });

  it('serves the request when the store refuses at once (circuit open), and counts the failure', async () => {
    const open = fakeOf(RateLimitStore, {
      increment: () => {
        throw new Error('Redis is unavailable (circuit open)');
      },
    });
    const guard = new AppThrottlerGuard(new HttpRateLimit(config, open, metrics), new Reflector());
    expect(await guard.canActivate(context(StreamsLike, 'one', '10.0.0.1', {}))).toBe(true);
    expect(failed).toHaveBeenCalledWith('http', 'fail-open');
  });
});
