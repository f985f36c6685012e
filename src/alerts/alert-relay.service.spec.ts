import { Logger } from '@nestjs/common';
import { loadConfig } from '../config/app-config';
import { fakeMetrics, fakeOf } from '../../test/helpers/fakes';
import type { AlertChannel, MetricsService } from '../metrics/metrics.service';
import type { AlertNotification, RobotPayload } from './alert-message';
import { AlertRelayService } from './alert-relay.service';
import { AlertRelayOptions, DeliveryError, RobotClient } from './robot-client';

type Outcome = 'ok' | 'fail' | 'hang';

/** Stands in for the HTTP client: records calls, answers as told, can hang until aborted. */
class FakeClient implements Pick<RobotClient, 'send'> {
  calls: Array<{ channel: AlertChannel; payload: RobotPayload }> = [];
  outcome: Record<AlertChannel, Outcome> = { dingtalk: 'ok', wecom: 'ok', slack: 'ok' };
  private releases: (() => void)[] = [];

  send(
    channel: AlertChannel,
    _url: string,
    payload: RobotPayload,
    _secret: string | undefined,
    stop: AbortSignal,
  ): Promise<{ attempts: number }> {
    this.calls.push({ channel, payload });
    const outcome = this.outcome[channel];
    if (outcome === 'ok') return Promise.resolve({ attempts: 1 });
    if (outcome === 'fail') return Promise.reject(new DeliveryError('HTTP 500', true));
    return new Promise((resolve, reject) => {
      this.releases.push(() => resolve({ attempts: 1 }));
      stop.addEventListener(
        'abort',
        () => reject(new DeliveryError('relay is shutting down', false)),
        { once: true },
      );
    });
  }

  releaseAll(): void {
    const r = this.releases;
    this.releases = [];
    r.forEach((f) => f());
  }
}

class FakeMetrics implements Pick<MetricsService, 'alertNotification'> {
  counts: Record<string, number> = {};
  alertNotification(channel: AlertChannel, result: 'sent' | 'failed'): void {
    this.counts[`${channel}:${result}`] = (this.counts[`${channel}:${result}`] ?? 0) + 1;
  }
}

function notification(i = 0): AlertNotification {
  return {
    status: 'firing',
    receiver: 'r',
    groupLabels: { alertname: `A${i}` },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: '',
    truncatedAlerts: 0,
    alerts: [
      {
        status: 'firing',
        labels: { alertname: `A${i}` },
        annotations: {},
        startsAt: '2025-05-01T12:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
      },
    ],
  };
}

function makeRelay(env: Record<string, string>, options: Partial<AlertRelayOptions> = {}) {
  const config = loadConfig({ NODE_ENV: 'test', ALERT_WEBHOOK_TOKEN: 'token-0123456789', ...env });
  const client = new FakeClient();
  const metrics = new FakeMetrics();
  const relay = new AlertRelayService(
    config,
    { timeoutMs: 1000, attempts: 1, backoffMs: 1, maxQueued: 3, ...options },
    fakeOf(RobotClient, client),
    fakeMetrics(metrics),
  );
  return { relay, client, metrics };
}

const ALL = {
  DINGTALK_WEBHOOK_URL: 'http://127.0.0.1:1/d',
  WECOM_WEBHOOK_URL: 'http://127.0.0.1:1/w',
  SLACK_WEBHOOK_URL: 'http://127.0.0.1:1/s',
};

describe('AlertRelayService', () => {
  // The warnings these cases provoke on purpose would only clutter the test output.
  beforeAll(() => Logger.overrideLogger(false));
  it('sends to every configured robot by default, and to the requested ones when asked', async () => {
    const { relay, client } = makeRelay({
      DINGTALK_WEBHOOK_URL: ALL.DINGTALK_WEBHOOK_URL,
      WECOM_WEBHOOK_URL: ALL.WECOM_WEBHOOK_URL,
    });
    expect(relay.relay(notification())).toEqual(['dingtalk', 'wecom']);
    expect(relay.relay(notification(), ['wecom', 'slack'])).toEqual(['wecom']);
    await relay.whenIdle();
    expect(client.calls.map((c) => c.channel)).toEqual(['dingtalk', 'wecom', 'wecom']);
  });

  it('falls back to every configured robot when none of the requested channels is configured', () => {
    const { relay } = makeRelay({ DINGTALK_WEBHOOK_URL: ALL.DINGTALK_WEBHOOK_URL });
    expect(relay.channelsFor(['wecom'])).toEqual(['dingtalk']);
    const none = makeRelay({});
    expect(none.relay.relay(notification(), ['wecom'])).toEqual([]);
  });

  it('counts sent and failed deliveries per channel', async () => {
    const { relay, client, metrics } = makeRelay(ALL);
    client.outcome.wecom = 'fail';
    relay.relay(notification());
    await relay.whenIdle();
    expect(metrics.counts).toEqual({ 'dingtalk:sent': 1, 'wecom:failed': 1, 'slack:sent': 1 });
  });

  it('bounds the queue per robot, drops and counts the excess, and keeps the other robots going', async () => {
    const { relay, client, metrics } = makeRelay(ALL, { maxQueued: 3 });
    client.outcome.wecom = 'hang';
    for (let i = 0; i < 10; i++) {
      relay.relay(notification(i));
      // Healthy robots are done with a message by the next turn of the event loop.
      await new Promise((r) => setImmediate(r));
    }
    // WeCom hangs: 1 in flight + 3 waiting; the other 6 were dropped on arrival.
    expect(metrics.counts['wecom:failed']).toBe(6);
    await until(
      () =>
        (metrics.counts['slack:sent'] ?? 0) === 10 && (metrics.counts['dingtalk:sent'] ?? 0) === 10,
    );
    expect(relay.pending).toBe(4);
    client.outcome.wecom = 'ok';
    client.releaseAll();
    await relay.whenIdle();
    expect(metrics.counts['wecom:sent']).toBe(4);
  });

  it('delivers to one robot one message at a time, in order', async () => {
    const { relay, client } = makeRelay(
      { SLACK_WEBHOOK_URL: ALL.SLACK_WEBHOOK_URL },
      { maxQueued: 50 },
    );
    for (let i = 0; i < 20; i++) relay.relay(notification(i));
    await relay.whenIdle();
    const order = client.calls.map((c) => /A(\d+)/.exec((c.payload as { text: string }).text)![1]);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('on shutdown waits briefly, then aborts and counts what is left as failed', async () => {
    const { relay, client, metrics } = makeRelay({
      WECOM_WEBHOOK_URL: ALL.WECOM_WEBHOOK_URL,
      SHUTDOWN_TIMEOUT_MS: '300',
    });
    client.outcome.wecom = 'hang';
    relay.relay(notification(1));
    relay.relay(notification(2));
    const started = Date.now();
    await relay.onApplicationShutdown();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(metrics.counts['wecom:failed']).toBe(2);
    expect(relay.pending).toBe(0);
    // Closed: anything arriving now is refused and counted.
    relay.relay(notification(3));
    expect(metrics.counts['wecom:failed']).toBe(3);
  });
});

async function until(pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}
