import { Module } from '@nestjs/common';
import { PlaybackModule } from '../playback/playback.module';
import { StreamsModule } from '../streams/streams.module';
import { HlsCheckRoute } from './hls-check.route';
import { HookDurationInterceptor } from './hook-duration.interceptor';
import { HookSecretGuard } from './hook-secret.guard';
import { HooksService } from './hooks.service';
import { MediaMtxHookController } from './mediamtx-hook.controller';
import { NginxRtmpHookController } from './nginx-rtmp-hook.controller';
import { SrsHookController } from './srs-hook.controller';

/**
 * Media-server hooks, one controller per dialect, all running the same HooksService path.
 * Uses streams (PublishingService) and playback (the play checks); finished recordings go to the
 * RecordingIntake port, looked up optionally. Form bodies (nginx-rtmp) are parsed
 * by the Fastify adapter's built-in application/x-www-form-urlencoded parser. The HLS check is a
 * plain Fastify route (HlsCheckRoute, registered as the app initialises) for speed.
 */
@Module({
  imports: [StreamsModule, PlaybackModule],
  controllers: [NginxRtmpHookController, SrsHookController, MediaMtxHookController],
  providers: [HooksService, HookSecretGuard, HookDurationInterceptor, HlsCheckRoute],
})
export class HooksModule {}
