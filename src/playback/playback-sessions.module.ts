import { Module } from '@nestjs/common';
import { storeByMode } from '../redis/redis.module';
import { PlayUrlSigner } from '../streams/play-url.signer';
import { MemoryViewerSessionStore } from './memory-viewer-session.store';
import { PlaybackUrls } from './playback-urls';
import { RedisViewerSessionStore } from './redis-viewer-session.store';
import { ViewerSessionStore } from './viewer-session.store';
import { ViewerSessions } from './viewer-sessions.service';

/**
 * The part of playback that streams use: signed play URLs (PlaybackUrls, PlayUrlSigner) and the
 * viewer sessions and counts (ViewerSessions; the store is picked by mode, memory / Redis). It
 * depends on no feature, which keeps the graph acyclic: StreamsModule imports it, PlaybackModule
 * imports it and StreamsModule.
 */
@Module({
  providers: [
    storeByMode(ViewerSessionStore, MemoryViewerSessionStore, RedisViewerSessionStore),
    ViewerSessions,
    PlayUrlSigner,
    PlaybackUrls,
  ],
  exports: [ViewerSessions, PlaybackUrls, PlayUrlSigner],
})
export class PlaybackSessionsModule {}
