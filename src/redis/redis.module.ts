import { DynamicModule, FactoryProvider, Global, Module, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RedisService } from './redis.service';

/**
 * Infrastructure, global like the config: provides RedisService only in clustered mode. In embedded mode nothing here exists and the
 * in-process store implementations are bound instead (see each feature's module).
 */
@Global()
@Module({})
export class RedisModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (!config.redis.url) return { module: RedisModule };
    return {
      module: RedisModule,
      providers: [
        {
          provide: RedisService,
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => RedisService.connect(c),
        },
      ],
      exports: [RedisService],
    };
  }
}

/** Picks one implementation of a store by mode, once, at composition time. */
export function bindStore<T>(
  config: AppConfig,
  token: abstract new (...args: never[]) => T,
  memory: new (...args: never[]) => T,
  redis: new (...args: never[]) => T,
) {
  return { provide: token, useClass: config.redis.url ? redis : memory };
}

/**
 * The same choice made when the module is instantiated, from APP_CONFIG: a plain provider, so a
 * feature module that binds a store stays a static module that any other feature can import.
 */
export function storeByMode<T>(
  token: abstract new (...args: never[]) => T,
  memory: Type<T>,
  redis: Type<T>,
): FactoryProvider<T> {
  return {
    provide: token,
    inject: [APP_CONFIG, ModuleRef],
    useFactory: (config: AppConfig, moduleRef: ModuleRef): Promise<T> =>
      moduleRef.create(config.redis.url ? redis : memory),
  };
}
