import { Injectable, Logger } from '@nestjs/common';
import type { AuthUser } from '../auth/auth.types';
import { ConflictError, NotFoundError, UnauthorizedError } from '../common/errors';
import { PlayableStreams } from '../common/ports';
import type { SessionArgs } from '../hooks/hook-calls';
import type { HookServer, PlaybackProtocol } from '../metrics/metrics.service';
import { MetricsService } from '../metrics/metrics.service';
import { PlayUrlSigner } from '../streams/play-url.signer';
import { parseUuid } from '../common/uuid.pipe';
import type { PlaybackSessionDto } from './dto/playback-session.dto';
import { parseHlsUri } from './hls-uri';
import { PlaybackUrls } from './playback-urls';
import { StreamLiveCache } from './stream-live.cache';
import { ViewerSessions } from './viewer-sessions.service';

/** Why a play check was refused; logged at debug level, never sent to players. */
type PlayRefusal = 'unknown-stream' | 'bad-signature' | 'expired' | 'not-live' | 'unavailable';

/**
 * Playback sessions: handing them out (POST /streams/:id/playback) and checking them for every
 * media server (play/play_done/update_play hooks, the HLS check). Every check verifies the
 * session signature first (no I/O), then whether the stream is live (memory, see
 * StreamLiveCache), then refreshes the session in the viewer store.
 */
@Injectable()
export class PlaybackService {
  private readonly log = new Logger(PlaybackService.name);

  constructor(
    private readonly streams: PlayableStreams,
    private readonly urls: PlaybackUrls,
    private readonly signer: PlayUrlSigner,
    private readonly live: StreamLiveCache,
    private readonly viewers: ViewerSessions,
    private readonly metrics: MetricsService,
  ) {}

  /** A new session for one player. Members-only streams need a signed-in user. */
  async createSession(user: AuthUser | undefined, streamId: string): Promise<PlaybackSessionDto> {
    const stream = await this.streams.findPlayable(streamId);
    if (!stream) throw new NotFoundError('stream');
    if (stream.status === 'ended') throw new ConflictError('stream has ended');
    // The owner and admins are signed in, so "members" already lets them through.
    if (stream.access === 'members' && !user)
      throw new UnauthorizedError('sign in to watch this stream');
    return this.urls.issue(streamId);
  }

  /**
   * play / read: a valid session for a live stream. Counts the session for the TTL (`ttl`), or
   * until it expires (`exp`, servers without updates). Fails closed.
   */
  async authorizePlay(
    server: HookServer,
    rawStreamId: string | null,
    s: SessionArgs,
    protocol: PlaybackProtocol,
    lease: 'ttl' | 'exp',
  ): Promise<boolean> {
    const streamId = parseUuid(rawStreamId);
    const refusal = streamId === null ? 'unknown-stream' : await this.refusal(streamId, s);
    if (refusal !== undefined || streamId === null) {
      this.refused(server, rawStreamId, refusal ?? 'unknown-stream');
      return false;
    }
    await this.viewers.seen(
      streamId,
      s.sid!,
      protocol,
      lease === 'exp' ? Number(s.exp) : undefined,
    );
    return true;
  }

  /** update_play: allowed (and refreshed) while the session is valid and the stream live. */
  authorizeUpdate(
    server: HookServer,
    rawStreamId: string | null,
    s: SessionArgs,
  ): Promise<boolean> {
    return this.authorizePlay(server, rawStreamId, s, 'rtmp', 'ttl');
  }

  /**
   * play_done / on_stop: the session stops counting at once. Only for a genuine signature
   * (expiry ignored: the URL may have expired while the viewer watched).
   */
  async playDone(rawStreamId: string | null, s: SessionArgs): Promise<void> {
    const streamId = parseUuid(rawStreamId);
    if (streamId === null || !this.signer.isGenuine(streamId, s.sid, s.exp, s.sig)) return;
    await this.viewers.ended(streamId, s.sid!);
  }

  /** The HLS check: `uri` is nginx's `$request_uri` of a playlist or segment request. */
  async checkHls(uri: string): Promise<boolean> {
    const req = parseHlsUri(uri);
    const allowed = req !== null && (await this.refusal(req.streamId, req)) === undefined;
    this.metrics.playbackChecked(allowed);
    if (allowed) await this.viewers.seen(req.streamId, req.sid!, 'hls');
    return allowed;
  }

  private async refusal(streamId: string, s: SessionArgs): Promise<PlayRefusal | undefined> {
    const check = this.signer.verify(streamId, s.sid, s.exp, s.sig);
    if (check === 'invalid') return 'bad-signature';
    if (check === 'expired') return 'expired';
    try {
      const live = this.live.isLive(streamId);
      return (typeof live === 'boolean' ? live : await live) ? undefined : 'not-live';
    } catch (err) {
      this.log.warn(
        { streamId, err: { message: err instanceof Error ? err.message : String(err) } },
        'Play check failed closed: stream state unavailable',
      );
      return 'unavailable';
    }
  }

  private refused(server: HookServer, streamId: string | null, reason: PlayRefusal): void {
    this.log.debug({ streamId: streamId ?? undefined, server, reason }, 'Play refused');
  }
}
