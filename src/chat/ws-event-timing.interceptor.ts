import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, finalize } from 'rxjs';
import { MetricsService, WS_EVENTS, WsEvent } from '../metrics/metrics.service';

/**
 * Records websocket_message_duration_seconds{event} for every gateway handler it is bound to:
 * the handler's own time, from the call to its ack. Unknown names fold into "other" (bounded).
 */
@Injectable()
export class WsEventTimingInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const pattern = context.switchToWs().getPattern();
    const event: WsEvent = (WS_EVENTS as readonly string[]).includes(pattern)
      ? (pattern as WsEvent)
      : 'other';
    const started = process.hrtime.bigint();
    return next
      .handle()
      .pipe(
        finalize(() =>
          this.metrics.wsEventHandled(event, Number(process.hrtime.bigint() - started) / 1e9),
        ),
      );
  }
}
