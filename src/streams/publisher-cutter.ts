import { Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { CutReason, MetricsService } from '../metrics/metrics.service';

/** What a cut needs to know about the live publisher (as recorded when it went live). */
export interface LivePublisher {
  id: string;
  publisherServer: string | null;
  publisherClientId: string | null;
  publisherProtocol: string | null;
}

/** One call to a media server's API; never longer than this. */
export const CUT_TIMEOUT_MS = 2000;

/**
 * MediaMTX kick routes per transport, from its control API (api/openapi.yaml,
 * https://bluenviron.github.io/mediamtx): RTMP and SRT publishers are connections, RTSP and
 * WebRTC publishers are sessions. The auth hook's `protocol` does not tell RTMP from RTMPS nor
 * RTSP from RTSPS, so the TLS listener's route is tried when the plain one does not know the id.
 */
const MEDIAMTX_KICK: Record<string, readonly string[]> = {
  rtmp: ['/v3/rtmpconns/kick/', '/v3/rtmpsconns/kick/'],
  rtsp: ['/v3/rtspsessions/kick/', '/v3/rtspssessions/kick/'],
  srt: ['/v3/srtconns/kick/'],
  webrtc: ['/v3/webrtcsessions/kick/'],
};

type KickResult = 'kicked' | 'gone' | 'failed';

/** SRS ERROR_RTMP_CLIENT_NOT_FOUND. */
const SRS_CLIENT_NOT_FOUND = 2049;

/** `{"code":N}` of an SRS API answer; an answer without one counts as success (0). */
function srsCode(text: string): number {
  try {
    const body = JSON.parse(text) as { code?: unknown };
    return typeof body.code === 'number' ? body.code : 0;
  } catch {
    return 0;
  }
}

/**
 * Cuts a live publisher off when its stream is deleted, its key rotated or its owner disabled.
 * nginx-rtmp needs nothing here: the changed state makes OnAir refuse the publisher's next
 * `update` (403) and nginx-rtmp drops it. SRS and MediaMTX are told through their HTTP APIs.
 * Cuts never block or fail the request that caused them: each call is bounded, and a failure
 * is logged and counted (publisher_cut_failures_total), never thrown.
 */
@Injectable()
export class PublisherCutter {
  private readonly log = new Logger('PublisherCutter');

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  /** Fire and forget; the returned promise (never rejected) is for tests. */
  cut(p: LivePublisher, reason: CutReason): Promise<void> {
    return this.cutNow(p, reason).catch((err: unknown) => {
      this.log.error({ err, streamId: p.id, reason }, 'Cutting the publisher failed unexpectedly');
    });
  }

  private async cutNow(p: LivePublisher, reason: CutReason): Promise<void> {
    const ctx = {
      streamId: p.id,
      server: p.publisherServer,
      clientId: p.publisherClientId,
      reason,
    };
    switch (p.publisherServer) {
      case 'nginx-rtmp':
        this.metrics.publisherCut(reason);
        this.log.log(ctx, 'Publisher will be refused at its next update');
        return;
      case 'srs':
        return this.finish('srs', ctx, reason, await this.kickSrs(p.publisherClientId));
      case 'mediamtx':
        return this.finish(
          'mediamtx',
          ctx,
          reason,
          await this.kickMediaMtx(p.publisherClientId, p.publisherProtocol),
        );
      case null:
      default:
        this.log.warn(ctx, 'Live publisher of an unknown media server; cannot cut it');
    }
  }

  private finish(
    server: 'srs' | 'mediamtx',
    ctx: Record<string, unknown>,
    reason: CutReason,
    result: KickResult,
  ): void {
    if (result === 'kicked') {
      this.metrics.publisherCut(reason);
      this.log.log(ctx, 'Publisher kicked');
    } else if (result === 'gone') {
      this.log.log(ctx, 'Publisher already gone from the media server');
    } else {
      this.metrics.publisherCutFailed(server);
    }
  }

  private async kickSrs(clientId: string | null): Promise<KickResult> {
    const base = this.config.liveState.srsApiUrl;
    if (!base) return this.notConfigured('SRS_API_URL');
    if (!clientId) return this.noClientId('srs');
    // SRS HTTP API: DELETE /api/v1/clients/<id> kicks that client.
    return this.call('srs', 'DELETE', `${base}/api/v1/clients/${encodeURIComponent(clientId)}`);
  }

  private async kickMediaMtx(
    clientId: string | null,
    protocol: string | null,
  ): Promise<KickResult> {
    const base = this.config.liveState.mediamtxApiUrl;
    if (!base) return this.notConfigured('MEDIAMTX_API_URL');
    if (!clientId) return this.noClientId('mediamtx');
    const routes = MEDIAMTX_KICK[protocol ?? ''];
    if (!routes) {
      this.log.warn({ protocol }, 'MediaMTX publisher over a transport that cannot be kicked');
      return 'failed';
    }
    for (const route of routes) {
      const r = await this.call(
        'mediamtx',
        'POST',
        `${base}${route}${encodeURIComponent(clientId)}`,
      );
      if (r !== 'gone') return r;
    }
    return 'gone';
  }

  private async call(
    server: 'srs' | 'mediamtx',
    method: 'DELETE' | 'POST',
    url: string,
  ): Promise<KickResult> {
    try {
      const res = await fetch(url, { method, signal: AbortSignal.timeout(CUT_TIMEOUT_MS) });
      const text = (await res.text()).slice(0, 4096);
      if (res.status === 404) return 'gone';
      if (res.ok) {
        // SRS answers HTTP 200 with its own code: 0 = done, 2049 = no such client.
        const code = server === 'srs' ? srsCode(text) : 0;
        if (code === 0) return 'kicked';
        if (code === SRS_CLIENT_NOT_FOUND) return 'gone';
        this.log.warn({ server, code }, 'Media server API refused the kick');
        return 'failed';
      }
      this.log.warn({ server, status: res.status }, 'Media server API refused the kick');
      return 'failed';
    } catch (err) {
      this.log.warn(
        { server, err: { message: (err as Error).message } },
        'Media server API did not answer the kick',
      );
      return 'failed';
    }
  }

  private notConfigured(variable: string): KickResult {
    this.log.warn(`${variable} is not set: a live publisher cannot be cut off on that server`);
    return 'failed';
  }

  private noClientId(server: string): KickResult {
    this.log.warn({ server }, 'No client id was recorded for the live publisher; cannot cut it');
    return 'failed';
  }
}
