import { Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { PlayUrlSigner } from '../streams/play-url.signer';
import type { PlaybackSessionDto } from './dto/playback-session.dto';

/** Issues playback sessions and builds their signed URLs from the configured bases. */
@Injectable()
export class PlaybackUrls {
  private readonly hls?: string;
  private readonly flv?: string;
  private readonly rtmp?: string;

  constructor(
    private readonly signer: PlayUrlSigner,
    @InjectConfig() config: AppConfig,
  ) {
    this.hls = config.media.hlsBaseUrl || undefined;
    this.flv = config.media.flvBaseUrl || undefined;
    this.rtmp = config.media.rtmpPlayUrl || undefined;
  }

  /** A new session for one player of `streamId`. */
  issue(streamId: string, nowMs = Date.now()): PlaybackSessionDto {
    const { sid, exp, sig } = this.signer.issue(streamId, nowMs);
    const q = `sid=${sid}&exp=${exp}&sig=${sig}`;
    return {
      sessionId: sid,
      expiresAt: new Date(exp * 1000).toISOString(),
      hls: this.hls ? `${this.hls}/${streamId}.m3u8?${q}` : null,
      flv: this.flv ? `${this.flv}/${streamId}.flv?${q}` : null,
      rtmp: this.rtmp ? `${this.rtmp}/${streamId}?${q}` : null,
    };
  }
}
