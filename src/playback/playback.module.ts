import { Module } from '@nestjs/common';
import { StreamsModule } from '../streams/streams.module';
import { PlaybackController } from './playback.controller';
import { PlaybackSessionsModule } from './playback-sessions.module';
import { PlaybackService } from './playback.service';
import { StreamLiveCache } from './stream-live.cache';

/**
 * The play checks and the playback-session REST API. Uses streams through the PlayableStreams
 * port (StreamsModule) and the sessions and play URLs of PlaybackSessionsModule; the hooks
 * import it for the play checks.
 */
@Module({
  imports: [StreamsModule, PlaybackSessionsModule],
  controllers: [PlaybackController],
  providers: [StreamLiveCache, PlaybackService],
  exports: [PlaybackService],
})
export class PlaybackModule {}
