import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { bindStore } from '../redis/redis.module';
import { PlayUrlSigner } from '../streams/play-url.signer';
import { MemoryViewerSessionStore } from './memory-viewer-session.store';
import { PlaybackController } from './playback.controller';
import { PlaybackUrls } from './playback-urls';
import { PlaybackService } from './playback.service';
import { RedisViewerSessionStore } from './redis-viewer-session.store';
import { StreamLiveCache } from './stream-live.cache';
import { ViewerSessionStore } from './viewer-session.store';
import { ViewerSessions } from './viewer-sessions.service';

/**
 * Playback sessions, the play checks and the viewer count. The session store is picked once by
 * mode (memory / Redis). Global: streams (viewer counts, the owner's preview session) and the
 * hooks use it; it uses streams through the PlayableStreams port.
 */
@Module({})
export class PlaybackModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: PlaybackModule,
      global: true,
      controllers: [PlaybackController],
      providers: [
        bindStore(config, ViewerSessionStore, MemoryViewerSessionStore, RedisViewerSessionStore),
        ViewerSessions,
        PlayUrlSigner,
        PlaybackUrls,
        StreamLiveCache,
        PlaybackService,
      ],
      exports: [ViewerSessions, PlaybackUrls, PlaybackService, PlayUrlSigner],
    };
  }
}
