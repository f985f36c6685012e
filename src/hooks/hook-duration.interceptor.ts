import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { finalize, Observable } from 'rxjs';
import { HookServer, MetricsService } from '../metrics/metrics.service';
import { hookActionLabel } from './hook-calls';

export const HOOK_SERVER = 'onair:hook-server';
/** Names the caller of a hook controller for hook_duration_seconds{server}. */
export const HookServerName = (server: HookServer) => SetMetadata(HOOK_SERVER, server);

/**
 * hook_duration_seconds{server,action}: the time from the handler's start to its answer, allowed
 * or refused, for every hook controller. An interceptor is the seam that sees exactly the
 * handler (after the secret guard, before the response is serialized), so the figure is what
 * OnAir adds to the media server's wait, without the network or Fastify's own work.
 */
@Injectable()
export class HookDurationInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const server = this.reflector.get<HookServer | undefined>(HOOK_SERVER, context.getClass());
    if (server === undefined) return next.handle();
    const started = process.hrtime.bigint();
    const body = context.switchToHttp().getRequest<FastifyRequest>().body;
    return next.handle().pipe(
      finalize(() => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.metrics.hookHandled(server, hookActionLabel(server, body), seconds);
      }),
    );
  }
}
