import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LiveStreamLookup, PlayableStreams } from '../common/ports';
import { PlaybackSessionsModule } from '../playback/playback-sessions.module';
import { PublisherCutter } from './publisher-cutter';
import { PublishingService } from './publishing.service';
import { StreamReadRoute } from './stream-read.route';
import { StreamSweeperJob } from './stream-sweeper.job';
import { StreamEntity } from './stream.entity';
import { StreamViewCache } from './stream-view.cache';
import { StreamsController } from './streams.controller';
import { StreamsRepository } from './streams.repository';
import { StreamsService } from './streams.service';

/**
 * Streams REST API and the stream lifecycle rules. Imported by what uses it: hooks
 * (PublishingService), playback (PlayableStreams), rooms (LiveStreamLookup), recordings
 * (StreamsService). Viewer counts and play URLs come from PlaybackSessionsModule; RoomLookup and
 * ProductEventOutbox are looked up optionally (see StreamsService, PublishingService).
 * `GET /streams/:id` is a plain Fastify route (StreamReadRoute) for speed.
 */
@Module({
  imports: [TypeOrmModule.forFeature([StreamEntity]), PlaybackSessionsModule],
  controllers: [StreamsController],
  providers: [
    StreamsRepository,
    StreamsService,
    PublishingService,
    StreamViewCache,
    PublisherCutter,
    StreamSweeperJob,
    StreamReadRoute,
    { provide: LiveStreamLookup, useExisting: StreamsService },
    { provide: PlayableStreams, useExisting: StreamsService },
  ],
  exports: [StreamsService, PublishingService, LiveStreamLookup, PlayableStreams],
})
export class StreamsModule {}
