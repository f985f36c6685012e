import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../common/error-body';
import { HttpExceptionFilter } from '../common/http-exception.filter';
import { errorResponse, PlainRouteDoc } from '../common/plain-routes';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { PlaybackService } from '../playback/playback.service';
import { hookSecretMatches } from './hook-secret.guard';

export const HLS_CHECK_PATH = '/api/v1/hooks/hls';

/**
 * The HLS check (nginx `auth_request`): one call per playlist and per segment of every viewer,
 * so the most frequent request OnAir serves. It is a plain Fastify route registered beside
 * Nest's, not a Nest controller: it has no guard, pipe or interceptor to run, and Nest's
 * per-request execution context (guards consumer, interceptor chain with its async-resource
 * binding, rxjs) cost more than the check itself (bench P8, `bench/README.md` F10).
 *
 * What a hook controller gets from Nest is done here directly, with the same rules:
 * `?secret=` checked by the guard's own `hookSecretMatches`, `hook_duration_seconds{server="hls"}`
 * around the check (HookDurationInterceptor), errors in the contract's shape through the
 * global exception filter's builder. The request pipeline (request id, RED metrics, access
 * log) sees it like every route. Swagger documents it from `HLS_CHECK_DOC`.
 */
@Injectable()
export class HlsCheckRoute implements OnModuleInit {
  private readonly errors: HttpExceptionFilter;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly playback: PlaybackService,
    private readonly metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.errors = new HttpExceptionFilter(metrics);
  }

  /** Registered while the app initialises, right after Nest's own routes. */
  onModuleInit(): void {
    const app = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    app?.get(HLS_CHECK_PATH, (req, reply) => this.handle(req, reply));
  }

  private async handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!hookSecretMatches(req, this.config))
      return void sendError(reply, 403, 'FORBIDDEN', 'invalid hook secret');
    const uri = req.headers['x-original-uri'];
    if (typeof uri !== 'string' || uri === '')
      return void sendError(reply, 400, 'VALIDATION_FAILED', 'X-Original-URI header is required');
    const started = process.hrtime.bigint();
    let allowed: boolean;
    try {
      allowed = await this.playback.checkHls(uri);
    } catch (err) {
      return this.errors.reply(reply, err);
    } finally {
      this.metrics.hookHandled('hls', 'check', Number(process.hrtime.bigint() - started) / 1e9);
    }
    if (!allowed) return void sendError(reply, 403, 'FORBIDDEN', 'playback refused');
    void reply.code(204).send();
  }
}

/** The route's Swagger entry (Nest's scanner only sees controllers). */
export const HLS_CHECK_DOC: PlainRouteDoc = {
  path: HLS_CHECK_PATH,
  item: {
    get: {
      operationId: 'HlsHookController_check',
      summary: 'HLS check for nginx auth_request (playlists and segments)',
      description:
        'nginx passes the viewer request line as X-Original-URI: /hls/<id>.m3u8, /hls/<id>-<n>.ts, /hls/<id>/index.m3u8 or /hls/<id>/<n>.ts, ' +
        'each with ?sid=…&exp=…&sig=… (any location prefix). 204 when the stream is live and the session verifies for that stream ' +
        '(the session is refreshed: it counts as a viewer for PLAY_SESSION_TTL_SEC); otherwise 403. No database access per call.',
      tags: ['hooks'],
      parameters: [
        {
          name: 'X-Original-URI',
          in: 'header',
          required: true,
          description: "The viewer's request URI ($request_uri)",
          schema: {
            type: 'string',
            example:
              '/hls/2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b-12.ts?sid=9nq3Yk0fQm2lB6yZ8xWcNg&exp=1795300000&sig=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg',
          },
        },
        {
          name: 'secret',
          in: 'query',
          required: true,
          description: 'HOOK_SECRET',
          schema: { type: 'string', example: 'change-me-to-a-long-random-string' },
        },
      ],
      responses: {
        '204': { description: 'Allowed' },
        '400': errorResponse('X-Original-URI missing'),
        '403': errorResponse(
          'Refused (bad, expired or foreign session, stream not live), or a wrong ?secret=',
        ),
      },
    },
  },
};
