import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config';
import { bindStore } from '../redis/redis.module';
import { MemoryProgressStore } from './memory-progress.store';
import { ProgressController } from './progress.controller';
import { ProgressService } from './progress.service';
import { ProgressStore } from './progress.store';
import { RedisProgressStore } from './redis-progress.store';
import { VideoContentResponder } from './video-content.responder';
import { VideoFileStore } from './video-file.store';
import { VideoEntity } from './video.entity';
import { VideosController } from './videos.controller';
import { VideosRepository } from './videos.repository';
import { VideosService } from './videos.service';

/**
 * Video on demand: uploads streamed to DATA_DIR/videos, range/conditional streaming, and
 * playback progress (in-process or Redis, chosen once from config). Multipart parsing itself is
 * registered on the Fastify app in bootstrap.ts (see multipartOptions).
 */
@Module({})
export class VideosModule {
  /** Nest tells module instances apart by reference: every importer must get the same object. */
  private static readonly built = new WeakMap<AppConfig, DynamicModule>();

  static forRoot(config: AppConfig): DynamicModule {
    let built = VideosModule.built.get(config);
    if (!built) {
      built = VideosModule.build(config);
      VideosModule.built.set(config, built);
    }
    return built;
  }

  private static build(config: AppConfig): DynamicModule {
    return {
      module: VideosModule,
      imports: [TypeOrmModule.forFeature([VideoEntity])],
      controllers: [VideosController, ProgressController],
      providers: [
        VideosRepository,
        VideoFileStore,
        VideosService,
        VideoContentResponder,
        ProgressService,
        bindStore(config, ProgressStore, MemoryProgressStore, RedisProgressStore),
      ],
      exports: [VideosService, VideoFileStore],
    };
  }
}
