import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { WarnEvery } from '../common/rate-limited-log';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { AlertChannel, MetricsService } from '../metrics/metrics.service';
import { AlertNotification, renderPayload, RobotPayload } from './alert-message';
import { ALERT_RELAY_OPTIONS, AlertRelayOptions, DeliveryError, RobotClient } from './robot-client';

/** One robot's line: messages go out one at a time, in the order Alertmanager sent them. */
interface ChannelQueue {
  waiting: RobotPayload[];
  busy: boolean;
}

const CHANNEL_ORDER: readonly AlertChannel[] = ['dingtalk', 'wecom', 'slack'];
/** At most one "queue full" log line per this interval: a flood must not become a log flood. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * Forwards accepted Alertmanager notifications to the configured robots, in the background.
 *
 * Each robot has its own line, so a robot that hangs or is down never delays the others, and
 * one message at a time per robot keeps FIRING before its RESOLVED. Memory stays bounded
 * whatever Alertmanager (or a holder of the token) sends: a message is rendered to a few KB when
 * accepted and at most `maxQueued` wait per robot; beyond that it is dropped and counted as
 * failed, which the AlertDeliveryFailing alert (sent by e-mail, not through the relay) watches.
 */
@Injectable()
export class AlertRelayService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(AlertRelayService.name);
  private readonly targets = new Map<AlertChannel, string>();
  private readonly lines = new Map<AlertChannel, ChannelQueue>();
  private closed = false;
  private readonly stop = new AbortController();
  private idleWaiters: (() => void)[] = [];
  private droppedSinceLog = 0;
  private readonly dropWarn = new WarnEvery(DROP_LOG_INTERVAL_MS);

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @Inject(ALERT_RELAY_OPTIONS) private readonly options: AlertRelayOptions,
    private readonly client: RobotClient,
    private readonly metrics: MetricsService,
  ) {
    const a = config.alerts;
    if (a.dingtalkUrl) this.targets.set('dingtalk', a.dingtalkUrl);
    if (a.wecomUrl) this.targets.set('wecom', a.wecomUrl);
    if (a.slackUrl) this.targets.set('slack', a.slackUrl);
    for (const c of this.targets.keys()) this.lines.set(c, { waiting: [], busy: false });
  }

  onModuleInit(): void {
    const channels = this.configuredChannels();
    if (!this.enabled) {
      this.log.log(
        'Alert relay disabled (ALERT_WEBHOOK_TOKEN is not set): POST /api/v1/alerts/alertmanager answers 404',
      );
    } else if (channels.length === 0) {
      this.log.warn(
        'Alert relay enabled but no robot is configured (DINGTALK_WEBHOOK_URL, WECOM_WEBHOOK_URL, SLACK_WEBHOOK_URL): notifications are accepted and dropped',
      );
    } else {
      this.log.log(
        {
          channels,
          dingtalkSigned: Boolean(
            this.config.alerts.dingtalkSecret && this.targets.has('dingtalk'),
          ),
        },
        'Alert relay enabled',
      );
    }
    if (this.config.alerts.dingtalkSecret && !this.targets.has('dingtalk'))
      this.log.warn('DINGTALK_SECRET is set but DINGTALK_WEBHOOK_URL is not: the secret is unused');
  }

  /** The relay route exists only when Alertmanager has a token to authenticate with. */
  get enabled(): boolean {
    return this.config.alerts.webhookToken !== undefined;
  }

  configuredChannels(): AlertChannel[] {
    return CHANNEL_ORDER.filter((c) => this.targets.has(c));
  }

  /**
   * The robots one notification goes to: the requested channels that are configured, or, when
   * none of them is, every configured robot (a warning that only WeCom should get must still
   * reach somebody when WeCom is not set up).
   */
  channelsFor(requested?: readonly AlertChannel[]): AlertChannel[] {
    const configured = this.configuredChannels();
    if (!requested || requested.length === 0) return configured;
    const picked = configured.filter((c) => requested.includes(c));
    if (picked.length > 0) return picked;
    if (configured.length > 0) {
      this.log.warn(
        { requested, configured },
        'None of the requested alert channels is configured; sending to every configured robot instead',
      );
    }
    return configured;
  }

  /**
   * Renders the notification once per channel and queues it; never waits for a robot.
   * Returns the channels the message was queued for.
   */
  relay(n: AlertNotification, requested?: readonly AlertChannel[]): AlertChannel[] {
    const channels = this.channelsFor(requested);
    if (channels.length === 0) {
      this.log.warn(
        { receiver: n.receiver, alerts: n.alerts.length },
        'Alert notification accepted but no robot is configured; nothing forwarded',
      );
      return [];
    }
    for (const channel of channels) this.enqueue(channel, renderPayload(n, channel));
    return channels;
  }

  /** Resolves once nothing is queued or being sent (tests, shutdown). */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Messages queued or being sent, over all robots. */
  get pending(): number {
    let n = 0;
    for (const q of this.lines.values()) n += q.waiting.length + (q.busy ? 1 : 0);
    return n;
  }

  private enqueue(channel: AlertChannel, payload: RobotPayload): void {
    const line = this.lines.get(channel);
    if (!line) return;
    if (this.closed || line.waiting.length >= this.options.maxQueued) {
      this.metrics.alertNotification(channel, 'failed');
      this.droppedSinceLog++;
      if (this.dropWarn.due()) {
        this.log.warn(
          {
            channel,
            dropped: this.droppedSinceLog,
            queued: line.waiting.length,
            closed: this.closed,
          },
          'Alert relay queue is full or closed: notifications dropped',
        );
        this.droppedSinceLog = 0;
      }
      return;
    }
    line.waiting.push(payload);
    this.pump(channel, line);
  }

  private pump(channel: AlertChannel, line: ChannelQueue): void {
    if (line.busy) return;
    const payload = line.waiting.shift();
    if (payload === undefined) {
      if (this.pending === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
      return;
    }
    line.busy = true;
    void this.deliver(channel, payload).finally(() => {
      line.busy = false;
      this.pump(channel, line);
    });
  }

  private async deliver(channel: AlertChannel, payload: RobotPayload): Promise<void> {
    const url = this.targets.get(channel);
    if (!url) return;
    const secret = channel === 'dingtalk' ? this.config.alerts.dingtalkSecret : undefined;
    try {
      const { attempts } = await this.client.send(channel, url, payload, secret, this.stop.signal);
      this.metrics.alertNotification(channel, 'sent');
      if (attempts > 1)
        this.log.log({ channel, attempts }, 'Alert notification delivered after retrying');
    } catch (err) {
      this.metrics.alertNotification(channel, 'failed');
      // Only the channel and the reason: the webhook URL carries the robot's access token.
      const reason = err instanceof DeliveryError ? err.message : 'unexpected error';
      this.log.warn({ channel, reason }, 'Alert notification could not be delivered');
    }
  }

  /**
   * Runs after the HTTP server stopped taking requests: give queued messages a short
   * while to go out, then abort the rest (counted as failed) so shutdown stays bounded.
   */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.pending > 0) {
      const graceMs = Math.min(5000, Math.floor(this.config.shutdownTimeoutMs / 3));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.whenIdle(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    let dropped = 0;
    let aborted = 0;
    for (const [channel, line] of this.lines) {
      const left = line.waiting.splice(0);
      for (let i = 0; i < left.length; i++) this.metrics.alertNotification(channel, 'failed');
      dropped += left.length;
      if (line.busy) aborted++;
    }
    if (dropped > 0 || aborted > 0)
      this.log.warn({ dropped, aborted }, 'Shutting down: undelivered alert notifications dropped');
    this.stop.abort();
    await this.whenIdle();
  }
}
