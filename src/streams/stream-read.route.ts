import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpExceptionFilter } from '../common/http-exception.filter';
import { errorResponse, PlainRouteDoc } from '../common/plain-routes';
import { ParseUuidPipe } from '../common/uuid.pipe';
import { MetricsService } from '../metrics/metrics.service';
import { AppThrottlerGuard } from '../throttle/app-throttler.guard';
import { HttpRateLimit } from '../throttle/http-rate-limit';
import { StreamsService } from './streams.service';

export const STREAM_READ_PATH = '/api/v1/streams/:id';

/**
 * `GET /api/v1/streams/:id`, the public view of a stream: what every watch page and player
 * polls, so the hottest public read. A plain Fastify route beside Nest's router (like the HLS
 * check): Nest's per-request execution context — guards consumer, pipes consumer, the response
 * controller, and on Node 20 the promise hooks of the request context on each of their promises —
 * cost more than the cached read itself (bench F11).
 *
 * The same rules as a Nest route: the HTTP rate limit with the same per-route key
 * (`StreamsController.get:<ip>`, counted before the id is validated, as the global guard runs
 * before pipes), the id parsed by the same pipe (400 `id must be a UUID`), StreamsService.get,
 * and every error answered by the global exception filter. The request pipeline (request id,
 * RED metrics, access log) and CORS see it like any route.
 */
@Injectable()
export class StreamReadRoute implements OnModuleInit {
  private readonly errors: HttpExceptionFilter;
  private readonly ids = new ParseUuidPipe();
  private readonly throttleKey = AppThrottlerGuard.keyPrefix('StreamsController', 'get');

  constructor(
    private readonly streams: StreamsService,
    private readonly limiter: HttpRateLimit,
    metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.errors = new HttpExceptionFilter(metrics);
  }

  /** Registered while the app initialises, right after Nest's own routes. */
  onModuleInit(): void {
    const app = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    app?.get<{ Params: { id: string } }>(STREAM_READ_PATH, (req, reply) => this.handle(req, reply));
  }

  private async handle(
    req: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
  ): Promise<void> {
    try {
      const counted = this.limiter.hit(this.throttleKey + req.ip);
      const retryAfterSec = counted === undefined ? undefined : await counted;
      if (retryAfterSec !== undefined) {
        void reply.header('Retry-After', retryAfterSec);
        throw new ThrottlerException();
      }
      void reply.send(await this.streams.get(this.ids.transform(req.params.id)));
    } catch (err) {
      this.errors.reply(reply, err);
    }
  }
}

/** The route's Swagger entry (Nest's scanner only sees controllers). */
export const STREAM_READ_DOC: PlainRouteDoc = {
  path: '/api/v1/streams/{id}',
  item: {
    get: {
      operationId: 'StreamsController_get',
      summary: 'Public view of a stream (never the key)',
      description:
        'Served from a per-instance cache for up to 1 s; changes made through the same instance are visible at once.',
      tags: ['streams'],
      parameters: [
        {
          name: 'id',
          in: 'path',
          required: true,
          description: 'Stream id',
          schema: {
            type: 'string',
            format: 'uuid',
            example: '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b',
          },
        },
      ],
      responses: {
        '200': {
          description: '',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/StreamDto' } } },
        },
        '400': errorResponse('Invalid input (VALIDATION_FAILED)'),
        '404': errorResponse('Not found (NOT_FOUND)'),
        '429': errorResponse('Rate limited (RATE_LIMITED), see Retry-After'),
      },
    },
  },
};
