import { Injectable } from '@nestjs/common';
import type { MediaServer } from '../metrics/metrics.service';
import { StreamsService } from '../streams/streams.service';
import type { HookCall } from './hook-calls';

/** Runs a parsed hook call against the stream rules; true = allow. Same path for every dialect. */
@Injectable()
export class HooksService {
  constructor(private readonly streams: StreamsService) {}

  async handle(server: MediaServer, call: HookCall): Promise<boolean> {
    switch (call.action) {
      case 'publish':
        return this.streams.authorizePublish(
          server,
          call.name,
          call.key,
          call.clientId,
          call.protocol ?? null,
        );
      case 'update_publish':
        return this.streams.confirmPublisher(server, call.name, call.key, call.clientId);
      case 'publish_done':
        await this.streams.publishDone(server, call.name, call.clientId);
        return true;
      case 'play':
        return this.streams.authorizePlay(server, call.name, call.exp, call.sig, {
          countViewer: call.countViewer,
        });
      case 'play_done':
        await this.streams.playDone(call.name, call.exp, call.sig);
        return true;
      case 'ignore':
        return true;
      case 'deny':
        return false;
    }
  }
}
