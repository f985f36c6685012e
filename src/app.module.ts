import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { DomainEventsModule } from './common/domain-event-bus';
import { ScheduleModule } from '@nestjs/schedule';
import { AlertsModule } from './alerts/alerts.module';
import { AuthModule } from './auth/auth.module';
import { ChatModule } from './chat/chat.module';
import { HttpExceptionFilter } from './common/http-exception.filter';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { HooksModule } from './hooks/hooks.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { MetricsModule } from './metrics/metrics.module';
import { PlaybackModule } from './playback/playback.module';
import { PresenceModule } from './presence/presence.module';
import { RecordingsModule } from './recordings/recordings.module';
import { RedisModule } from './redis/redis.module';
import { RoomsModule } from './rooms/rooms.module';
import { StreamsModule } from './streams/streams.module';
import { ThrottleModule } from './throttle/throttle.module';
import { VideosModule } from './videos/videos.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WebModule } from './web/web.module';

/** Composition root only: the mode (embedded/clustered) is decided here from config, once. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        EventEmitterModule.forRoot({ wildcard: false, ignoreErrors: true }),
        DomainEventsModule,
        ScheduleModule.forRoot(),
        LifecycleModule,
        MetricsModule,
        RedisModule.forRoot(config),
        DatabaseModule,
        ThrottleModule.forRoot(config),
        AuthModule,
        HealthModule,
        StreamsModule,
        HooksModule,
        PlaybackModule,
        PresenceModule,
        RoomsModule,
        ChatModule.forRoot(config),
        VideosModule.forRoot(config),
        RecordingsModule.forRoot(config),
        AlertsModule,
        WebhooksModule,
        WebModule.forRoot(config),
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
