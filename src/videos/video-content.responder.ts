import { send } from '@fastify/send';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { promises as fs } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { sendError } from '../common/error-body';
import { DomainError, NotFoundError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { inlineDisposition } from './content-disposition';
import { evaluatePreconditions, httpDate } from './http-preconditions';
import { VideoFileStore } from './video-file.store';
import type { VideoEntity } from './video.entity';

/** 416: carries the size for `Content-Range: bytes *\/<size>`. */
export class RangeNotSatisfiableError extends DomainError {
  constructor(readonly contentRange: string) {
    super('RANGE_NOT_SATISFIABLE', 'The requested range is not satisfiable');
  }
}

/**
 * Whether nginx, serving the file after an `X-Accel-Redirect`, answers exactly what OnAir would.
 * nginx's static module applies the request's Range and If-Range itself; the validators it
 * compares If-Range with are OnAir's (docker/nginx/nginx.conf copies `ETag` and `Last-Modified`
 * from OnAir's answer). What nginx would judge differently is left to OnAir: If-Match and
 * If-Unmodified-Since (nginx tests them before those headers are copied), several ranges, a
 * spelling nginx and OnAir parse differently, an unsatisfiable range (OnAir's 416 carries the
 * contract's error body), and an If-Range that is not exactly one of OnAir's validators.
 */
export function proxyCanServe(
  headers: IncomingHttpHeaders,
  size: number,
  validators: { etag: string; lastModified: string },
): boolean {
  if (headers['if-match'] !== undefined || headers['if-unmodified-since'] !== undefined)
    return false;
  const range = headers.range;
  if (range === undefined) return true;
  const ifRange = headers['if-range'];
  if (ifRange !== undefined && ifRange !== validators.etag && ifRange !== validators.lastModified)
    return false;
  const m = /^bytes=(?:(\d{1,15})-(\d{0,15})|-(\d{1,15}))$/.exec(range);
  if (!m) return false;
  const [, first, last, suffix] = m;
  if (suffix !== undefined) return size > 0 && Number(suffix) > 0;
  return Number(first) < size && (last === '' || Number(last) >= Number(first));
}

/**
 * Serves a video's bytes over HTTP: validators and conditionals here (see
 * http-preconditions.ts), byte ranges, 206/416, HEAD and the file stream by @fastify/send.
 *
 * The stream is piped by Fastify with backpressure: a slow client makes the file reads pause,
 * so memory stays at a few buffers per download whatever the file size.
 *
 * Downloads can last hours, longer than any shutdown budget. On shutdown the ones still running
 * get a short grace period, then their connections are closed so the process exits in time;
 * players resume with a Range request on another replica.
 *
 * With VIDEO_ACCEL_REDIRECT_PREFIX set (nginx in front), OnAir still decides everything about the
 * request (the video, 304/412/416, the headers) and hands the byte work to nginx with
 * `X-Accel-Redirect`; nginx sends the file with sendfile from an internal location.
 */
@Injectable()
export class VideoContentResponder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('VideoContentResponder');
  private readonly downloads = new Set<ServerResponse>();

  constructor(
    private readonly files: VideoFileStore,
    private readonly metrics: MetricsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    if (this.downloads.size === 0) return;
    const graceMs = Math.min(5000, Math.floor(this.config.shutdownTimeoutMs / 2));
    const running = [...this.downloads].map(
      (res) => new Promise<void>((resolve) => res.once('close', () => resolve())),
    );
    await Promise.race([Promise.all(running), sleep(graceMs, undefined, { ref: false })]);
    if (this.downloads.size === 0) return;
    this.logger.warn(
      { downloads: this.downloads.size, graceMs },
      'Closing video downloads still running at shutdown',
    );
    for (const res of this.downloads) res.destroy();
  }

  async respond(
    req: FastifyRequest,
    reply: FastifyReply,
    video: VideoEntity,
  ): Promise<FastifyReply> {
    const etag = `"${video.sha256}"`;
    const headers: Record<string, string> = {
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Last-Modified': httpDate(video.createdAt),
      // Content under one id never changes: caches may keep it but must revalidate (cheap 304)
      // so a deleted video stops being served.
      'Cache-Control': 'public, no-cache',
      'X-Content-Type-Options': 'nosniff',
    };

    const decision = evaluatePreconditions(req.method, req.headers, {
      etag,
      lastModified: video.createdAt,
      size: video.size,
    });
    switch (decision.kind) {
      case 'not-modified':
        return reply.status(304).headers(headers).send();
      case 'precondition-failed':
        // No domain code exists for 412; answer in the contract's error shape directly.
        return sendError(
          reply.headers(headers),
          412,
          'PRECONDITION_FAILED',
          'If-Match / If-Unmodified-Since did not match this video',
        );
      case 'serve':
        break;
    }

    const accel = this.config.videoAccelRedirectPrefix;
    if (
      accel !== undefined &&
      proxyCanServe(req.headers, video.size, { etag, lastModified: headers['Last-Modified'] })
    ) {
      // The row exists but the file may not: answer that here, in the contract's shape, rather
      // than with nginx's own 404 page.
      await fs.access(this.files.pathOf(video.storageName)).catch(() => {
        throw new NotFoundError('Video');
      });
      // The proxy sends the bytes (and counts them in its own log), so they are not counted
      // in onair_video_bytes_served_total.
      // Accept-Ranges is nginx's to send (it would be doubled).
      const { 'Accept-Ranges': _byProxy, ...forProxy } = headers;
      return reply
        .status(200)
        .headers(forProxy)
        .header('Content-Type', video.contentType)
        .header('Content-Disposition', inlineDisposition(video.title, video.contentType))
        .header('X-Accel-Redirect', accel + video.storageName)
        .send();
    }

    // send reads only `method` and `headers` from the request; it sees the normalised Range
    // (or none) and no conditional headers, since those were decided above.
    const view = {
      method: req.method,
      headers: decision.range ? { range: decision.range } : {},
    } as unknown as Readable;
    const result = await send(view, this.files.relativePathOf(video.storageName), {
      root: this.files.dir,
      // 1 MiB reads instead of the 64 KiB default: 16× fewer thread-pool reads and socket
      // writes per 1 MiB range (bench/README.md F6: 0.44 → 0.82 of nginx static).
      highWaterMark: 1024 * 1024,
      acceptRanges: true,
      etag: false,
      lastModified: false,
      cacheControl: false,
      contentType: false,
      index: false,
      dotfiles: 'deny',
    });

    if (result.type !== 'file') {
      result.stream.destroy();
      if (result.statusCode === 416)
        throw new RangeNotSatisfiableError(
          result.headers['Content-Range'] ?? `bytes */${video.size}`,
        );
      // The row exists but the file does not (deleted a moment ago, or lost): same as no video.
      if (result.statusCode < 500) throw new NotFoundError('Video');
      throw result.type === 'error'
        ? result.metadata.error
        : new Error(`Unexpected send result ${result.type}`);
    }

    const stream = result.stream;
    // Count what is handed to the socket. Paused first, so this listener does not start the flow
    // before Fastify pipes the stream (pipe() resumes it and pauses it again under backpressure).
    stream.pause();
    stream.on('data', (chunk: Buffer) => this.metrics.videoBytesServed(chunk.length));
    const res = reply.raw;
    this.downloads.add(res);
    res.once('close', () => this.downloads.delete(res));

    return reply
      .status(result.statusCode)
      .headers(headers)
      .headers(result.headers)
      .header('Content-Type', video.contentType)
      .header('Content-Disposition', inlineDisposition(video.title, video.contentType))
      .send(stream);
  }
}
