import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { WebController } from './web.controller';
import { WebPagesService } from './web-pages.service';

/** Paths of the pages, kept out of the /api/v1 prefix (bootstrap.ts). */
export const WEB_PATHS = ['/', 'watch/:streamId', 'studio', 'embed/chat/:roomId', 'assets/:file'];

/** The pages; with WEB_UI=false nothing is registered and those paths are plain 404s. */
@Module({})
export class WebModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (!config.webUi) return { module: WebModule };
    return { module: WebModule, controllers: [WebController], providers: [WebPagesService] };
  }
}
