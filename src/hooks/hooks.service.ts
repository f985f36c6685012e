import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { RecordingIntake } from '../common/ports';
import type { MediaServer } from '../metrics/metrics.service';
import { PlaybackService } from '../playback/playback.service';
import { PublishingService } from '../streams/publishing.service';
import type { HookCall } from './hook-calls';

/** Runs a parsed hook call against the stream rules; true = allow. Same path for every dialect. */
@Injectable()
export class HooksService implements OnModuleInit {
  /** Offered by recordings when present; without it a finished recording is only acknowledged. */
  private recordings?: RecordingIntake;

  constructor(
    private readonly publishing: PublishingService,
    private readonly playback: PlaybackService,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    try {
      this.recordings = this.moduleRef.get(RecordingIntake, { strict: false });
    } catch {
      this.recordings = undefined;
    }
  }

  async handle(server: MediaServer, call: HookCall): Promise<boolean> {
    switch (call.action) {
      case 'publish':
        return this.publishing.authorizePublish(
          server,
          call.name,
          call.key,
          call.clientId,
          call.protocol ?? null,
        );
      case 'update_publish':
        return this.publishing.confirmPublisher(server, call.name, call.key, call.clientId);
      case 'publish_done':
        await this.publishing.publishDone(server, call.name, call.clientId);
        return true;
      case 'play':
        return this.playback.authorizePlay(server, call.name, call, call.protocol, call.lease);
      case 'play_done':
        await this.playback.playDone(call.name, call);
        return true;
      case 'update_play':
        return this.playback.authorizeUpdate(server, call.name, call);
      case 'record_done':
        // A notification: refusals are logged and counted there (the media server cannot fix
        // them), so only a failure to queue the job reaches the media server as an error.
        if (server !== 'mediamtx')
          await this.recordings?.accept({ server, streamName: call.name, path: call.path });
        return true;
      case 'ignore':
        return true;
      case 'deny':
        return false;
    }
  }
}
