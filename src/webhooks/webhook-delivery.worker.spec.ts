import { randomUUID } from 'node:crypto';
import { fakeConfig, fakeMetrics, fakeOf } from '../../test/helpers/fakes';
import { freePort } from '../../test/helpers/process';
import { until } from '../../test/helpers/wait';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { backoffMs, WebhookDeliveryWorker } from './webhook-delivery.worker';
import { WebhookEventEntity } from './webhook-event.entity';
import {
  AttemptOutcome,
  ClaimedDelivery,
  WebhookOutboxRepository,
} from './webhook-outbox.repository';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';

describe('backoffMs', () => {
  it('doubles from the base per attempt, between half and all of the step', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 60_000, () => 1))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 60_000, () => 0))).toEqual([
      500, 1000, 2000, 4000,
    ]);
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(backoffMs(8, 30_000, 3_600_000, () => 1)).toBe(3_600_000);
    expect(backoffMs(50, 30_000, 3_600_000, () => 1)).toBe(3_600_000);
    expect(backoffMs(50, 30_000, 3_600_000, () => 0)).toBe(1_800_000);
  });
});

describe('WebhookDeliveryWorker.stop', () => {
  it('waits for a pass that is claiming, and settles what it claimed before returning', async () => {
    let release!: (claims: ClaimedDelivery[]) => void;
    const claimed = new Promise<ClaimedDelivery[]>((resolve) => (release = resolve));
    const settled: AttemptOutcome[] = [];
    const outbox = fakeOf(WebhookOutboxRepository, {
      dispatch: () => Promise.resolve(0),
      giveUpAbandoned: () => Promise.resolve(0),
      claimDue: () => claimed,
      settle: (_claim, outcome) => {
        settled.push(outcome);
        return Promise.resolve(true);
      },
    });
    const worker = new WebhookDeliveryWorker(
      fakeConfig({
        webhooks: {
          maxAttempts: 8,
          allowPrivate: true,
          backoffBaseMs: 1000,
          backoffMaxMs: 60_000,
          pollIntervalMs: 60_000,
          concurrency: 1,
        },
      }),
      outbox,
      fakeMetrics(),
      new LifecycleService(),
    );
    worker.onApplicationBootstrap();
    await until(() => outbox.claimDue.mock.calls.length === 1, {
      message: 'the pass never claimed',
    });
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    // The claim lands after stop() began: it is still sent (to a closed port) and settled.
    release([
      {
        delivery: Object.assign(new WebhookDeliveryEntity(), { id: randomUUID(), attempts: 2 }),
        event: Object.assign(new WebhookEventEntity(), {
          id: randomUUID(),
          type: 'stream.started',
          data: '{}',
          createdAt: new Date(),
        }),
        subscription: Object.assign(new WebhookSubscriptionEntity(), {
          url: `http://127.0.0.1:${await freePort()}/hook`,
          secret: 'x'.repeat(32),
        }),
      },
    ]);
    expect(stopped).toBe(false);
    await stopping;
    expect(settled.map((o) => o.result)).toEqual(['failed']);
    expect(settled[0].error).toMatch(/ECONNREFUSED/);
  });
});
