import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Injectable } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';
import { RateLimitStore, ThrottlerStorageRecord } from './rate-limit.store';

/** @nest-lab/throttler-storage-redis on our shared connection (one Lua call per check). */
@Injectable()
export class RedisRateLimitStore extends RateLimitStore {
  private readonly inner: ThrottlerStorageRedisService;

  constructor(private readonly redis: RedisService) {
    super();
    this.inner = new ThrottlerStorageRedisService(redis.client);
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    this.redis.assertReady();
    return this.inner.increment(`rl:${key}`, ttl, limit, blockDuration, throttlerName);
  }
}
