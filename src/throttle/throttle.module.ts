import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { seconds, ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { bindStore } from '../redis/redis.module';
import { AppThrottlerGuard } from './app-throttler.guard';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore } from './rate-limit.store';
import { RedisRateLimitStore } from './redis-rate-limit.store';

@Global()
@Module({})
class RateLimitStoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RateLimitStoreModule,
      providers: [bindStore(config, RateLimitStore, MemoryRateLimitStore, RedisRateLimitStore)],
      exports: [RateLimitStore],
    };
  }
}

@Module({})
export class ThrottleModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ThrottleModule,
      imports: [
        RateLimitStoreModule.forRoot(config),
        ThrottlerModule.forRootAsync({
          inject: [APP_CONFIG, RateLimitStore],
          useFactory: (c: AppConfig, storage: RateLimitStore) => ({
            throttlers: [
              { name: 'default', limit: c.throttle.limit, ttl: seconds(c.throttle.ttlSec) },
            ],
            storage,
          }),
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: AppThrottlerGuard }],
    };
  }
}
