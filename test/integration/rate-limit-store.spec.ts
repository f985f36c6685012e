import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/app-config';
import { RedisService } from '../../src/redis/redis.service';
import { MemoryRateLimitStore } from '../../src/throttle/memory-rate-limit.store';
import type { RateLimitStore } from '../../src/throttle/rate-limit.store';
import { RedisRateLimitStore } from '../../src/throttle/redis-rate-limit.store';
import { hasRedis, reportSkip } from '../helpers/services';
import { until } from '../helpers/wait';

/** One behaviour suite, run against every RateLimitStore implementation. */
function behaves(
  name: string,
  make: () => Promise<{ store: RateLimitStore; close(): Promise<void> }>,
) {
  describe(`RateLimitStore: ${name}`, () => {
    let store: RateLimitStore;
    let close: () => Promise<void>;
    beforeAll(async () => ({ store, close } = await make()));
    afterAll(async () => close?.());
    const key = () => `k-${randomBytes(6).toString('hex')}`;

    it('lets exactly `limit` hits through, then blocks with a retry time', async () => {
      const k = key();
      const results = [];
      for (let i = 0; i < 7; i++)
        results.push(await store.increment(k, 10_000, 5, 10_000, 'default'));
      expect(results.map((r) => r.isBlocked)).toEqual([
        false,
        false,
        false,
        false,
        false,
        true,
        true,
      ]);
      expect(results[4].totalHits).toBe(5);
      expect(results[5].timeToBlockExpire).toBeGreaterThan(0);
      expect(results[5].timeToBlockExpire).toBeLessThanOrEqual(10);
    });

    it('keeps keys and throttler names apart', async () => {
      const a = key();
      const b = key();
      for (let i = 0; i < 3; i++) await store.increment(a, 10_000, 2, 10_000, 'default');
      expect((await store.increment(b, 10_000, 2, 10_000, 'default')).isBlocked).toBe(false);
      expect((await store.increment(a, 10_000, 2, 10_000, 'other')).isBlocked).toBe(false);
    });

    it('lets a burst of concurrent hits through exactly `limit` times', async () => {
      const k = key();
      const results = await Promise.all(
        Array.from({ length: 100 }, () => store.increment(k, 10_000, 25, 10_000, 'default')),
      );
      expect(results.filter((r) => !r.isBlocked)).toHaveLength(25);
    });

    it('opens again once the window and the block have passed', async () => {
      const k = key();
      await store.increment(k, 400, 1, 400, 'default');
      expect((await store.increment(k, 400, 1, 400, 'default')).isBlocked).toBe(true);
      await until(async () => !(await store.increment(k, 400, 1, 400, 'default')).isBlocked, {
        timeoutMs: 5000,
        intervalMs: 150,
        message: 'limit never reopened',
      });
    });
  });
}

behaves('memory', async () => {
  const store = new MemoryRateLimitStore();
  return { store, close: async () => store.onModuleDestroy() };
});

if (hasRedis()) {
  behaves('redis', async () => {
    const redis = await RedisService.connect(
      loadConfig({
        REDIS_URL: process.env.TEST_REDIS_URL,
        REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}:`,
      }),
    );
    return { store: new RedisRateLimitStore(redis), close: () => redis.onApplicationShutdown() };
  });

  it('RedisRateLimitStore fails fast (no queueing) when Redis is unreachable', async () => {
    const redis = await RedisService.connect(loadConfig({ REDIS_URL: process.env.TEST_REDIS_URL }));
    const store = new RedisRateLimitStore(redis);
    redis.client.disconnect(false);
    const started = Date.now();
    await expect(store.increment('x', 1000, 1, 1000, 'default')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
    await redis.onApplicationShutdown();
  });
} else {
  reportSkip('RateLimitStore: redis behaviour suite', 'Redis not reachable; set TEST_REDIS_URL');
}
