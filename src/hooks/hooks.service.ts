import { Injectable } from '@nestjs/common';
import type { MediaServer } from '../metrics/metrics.service';
import { PlaybackService } from '../playback/playback.service';
import { StreamsService } from '../streams/streams.service';
import type { HookCall } from './hook-calls';

/** Runs a parsed hook call against the stream rules; true = allow. Same path for every dialect. */
@Injectable()
export class HooksService {
  constructor(
    private readonly streams: StreamsService,
    private readonly playback: PlaybackService,
  ) {}

  async handle(server: MediaServer, call: HookCall): Promise<boolean> {
    switch (call.action) {
      case 'publish':
        return this.streams.authorizePublish(server, call.name, call.key, call.clientId);
      case 'publish_done':
        await this.streams.publishDone(server, call.name, call.clientId);
        return true;
      case 'play':
        return this.playback.authorizePlay(server, call.name, call, call.protocol, call.lease);
      case 'play_done':
        await this.playback.playDone(call.name, call);
        return true;
      case 'update_play':
        return this.playback.authorizeUpdate(server, call.name, call);
      case 'ignore':
        return true;
      case 'deny':
        return false;
    }
  }
}
