import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { firstValueFrom, of, throwError } from 'rxjs';
import { MetricsService } from '../metrics/metrics.service';
import { WsEventTimingInterceptor } from './ws-event-timing.interceptor';

/** Socket.IO handler arguments as Nest passes them: client, data, (ack), pattern last. */
function wsContext(pattern: string): ExecutionContextHost {
  const ctx = new ExecutionContextHost([{ id: 'socket-1' }, { roomId: 'r' }, pattern]);
  ctx.setType('ws');
  return ctx;
}

async function observedCount(metrics: MetricsService, event: string): Promise<number> {
  const { values } = await metrics.wsDuration.get();
  const count = values.find(
    (v) => v.metricName === 'websocket_message_duration_seconds_count' && v.labels.event === event,
  );
  return count?.value ?? 0;
}

describe('WsEventTimingInterceptor', () => {
  const metrics = new MetricsService();
  const interceptor = new WsEventTimingInterceptor(metrics);

  it('observes websocket_message_duration_seconds once, labelled with the handled event', async () => {
    const before = await observedCount(metrics, 'chat:send');
    const otherBefore = await observedCount(metrics, 'room:join');

    const ack = await firstValueFrom(
      interceptor.intercept(wsContext('chat:send'), { handle: () => of({ ok: true }) }),
    );

    expect(ack).toEqual({ ok: true });
    expect(await observedCount(metrics, 'chat:send')).toBe(before + 1);
    expect(await observedCount(metrics, 'room:join')).toBe(otherBefore);
  });

  it('folds an event name outside the contract into "other"', async () => {
    const before = await observedCount(metrics, 'other');

    await firstValueFrom(
      interceptor.intercept(wsContext('made:up'), { handle: () => of({ ok: true }) }),
    );

    expect(await observedCount(metrics, 'other')).toBe(before + 1);
    expect(await observedCount(metrics, 'made:up')).toBe(0);
  });

  it('still observes the duration when the handler fails', async () => {
    const before = await observedCount(metrics, 'room:leave');

    await expect(
      firstValueFrom(
        interceptor.intercept(wsContext('room:leave'), {
          handle: () => throwError(() => new Error('boom')),
        }),
      ),
    ).rejects.toThrow('boom');

    expect(await observedCount(metrics, 'room:leave')).toBe(before + 1);
  });
});
