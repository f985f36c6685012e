import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { AppConfig } from '../config/app-config';
import { bindStore } from '../redis/redis.module';
import { AppThrottlerGuard } from './app-throttler.guard';
import { HttpRateLimit } from './http-rate-limit';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore } from './rate-limit.store';
import { RedisRateLimitStore } from './redis-rate-limit.store';

/**
 * Global: the rate-limit store is request infrastructure (the HTTP throttle, login, sockets), and
 * HttpRateLimit the HTTP limit's counting on it (the global guard and the plain routes).
 */
@Global()
@Module({})
class RateLimitStoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RateLimitStoreModule,
      providers: [
        bindStore(config, RateLimitStore, MemoryRateLimitStore, RedisRateLimitStore),
        HttpRateLimit,
      ],
      exports: [RateLimitStore, HttpRateLimit],
    };
  }
}

/** The global HTTP rate limit (THROTTLE_LIMIT per THROTTLE_TTL_SEC, per route and client IP). */
@Module({})
export class ThrottleModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ThrottleModule,
      imports: [RateLimitStoreModule.forRoot(config)],
      providers: [{ provide: APP_GUARD, useClass: AppThrottlerGuard }],
    };
  }
}
