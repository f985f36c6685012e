import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LiveStreamLookup, PlayableStreams } from '../common/ports';
import type { AppConfig } from '../config/app-config';
import { PublisherCutter } from './publisher-cutter';
import { PublishingService } from './publishing.service';
import { StreamSweeperJob } from './stream-sweeper.job';
import { StreamEntity } from './stream.entity';
import { StreamViewCache } from './stream-view.cache';
import { StreamsController } from './streams.controller';
import { StreamsRepository } from './streams.repository';
import { StreamsService } from './streams.service';

/**
 * Streams REST API and the stream lifecycle rules. Global so that the hooks and rooms
 * (LiveStreamLookup) can use them without importing this dynamic module again.
 */
@Global()
@Module({})
export class StreamsModule {
  static forRoot(_config: AppConfig): DynamicModule {
    return {
      module: StreamsModule,
      imports: [TypeOrmModule.forFeature([StreamEntity])],
      controllers: [StreamsController],
      providers: [
        StreamsRepository,
        StreamsService,
        PublishingService,
        StreamViewCache,
        PublisherCutter,
        StreamSweeperJob,
        { provide: LiveStreamLookup, useExisting: StreamsService },
        { provide: PlayableStreams, useExisting: StreamsService },
      ],
      exports: [StreamsService, PublishingService, LiveStreamLookup, PlayableStreams],
    };
  }
}
