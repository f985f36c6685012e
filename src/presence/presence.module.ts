import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';

@Module({})
export class PresenceModule {
  static forRoot(_config: AppConfig): DynamicModule {
    return { module: PresenceModule };
  }
}
