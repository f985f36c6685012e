import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { MetricsService } from '../metrics/metrics.service';
import { UnsafeWebhookUrlError, vetWebhookUrl } from './webhook-address.policy';
import {
  AttemptOutcome,
  ClaimedDelivery,
  WebhookOutboxRepository,
} from './webhook-outbox.repository';
import { sendWebhook, WEBHOOK_TIMEOUT_MS } from './webhook-sender';
import { signWebhook } from './webhook-signature';

/**
 * How long a claim is exclusive. Far longer than one attempt can take (DNS + 5 s response
 * timeout), so a live instance always settles before it lapses; a killed one's rows become
 * claimable again after it.
 */
export const WEBHOOK_LEASE_MS = 30_000;
const DISPATCH_BATCH = 100;
/** Finished deliveries, their log and their events are kept this long (the log API reads them). */
export const WEBHOOK_RETENTION_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/** Exponential backoff, capped, with jitter (half fixed, half random) so retries spread out. */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(full / 2 + random() * (full / 2));
}

/**
 * Delivers the outbox: every poll interval (and when an event is appended in this process) it
 * fans new events out to subscriptions, claims due deliveries up to the concurrency limit and
 * sends them. Any number of instances can run it against one PostgreSQL database.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('WebhookDeliveryWorker');
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  private pruner?: NodeJS.Timeout;
  /** The pass running now, if any: stop() waits for it, since it may be claiming. */
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly outbox: WebhookOutboxRepository,
    private readonly metrics: MetricsService,
    private readonly lifecycle: LifecycleService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.config.webhooks.pollIntervalMs);
    this.timer.unref();
    this.pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
    this.lifecycle.onDrain(() => this.stop());
    this.kick();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /**
   * A pass shortly after an append: the appending transaction commits after append() returns,
   * so an immediate pass would not see the event yet. One timer at most, however many appends.
   */
  kickSoon(): void {
    if (this.stopped || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.kick();
    }, 25);
    this.soon.unref();
  }

  /** Runs a pass now (or right after the one running). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err: unknown) =>
        this.log.warn(
          { err: { message: (err as Error).message } },
          'Webhook pass failed; retrying on the next poll',
        ),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * Stops claiming and waits for the pass running now and the attempts in flight to settle (each
   * is bounded by the response timeout), so every attempt it claimed is recorded before the
   * database closes. An attempt cut short by a hard exit stays claimed until its lease lapses,
   * then it is retried: nothing is lost either way.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    if (this.pruner) clearInterval(this.pruner);
    this.timer = this.soon = this.pruner = undefined;
    // A pass may be inside claimDue: its claims are sent and settled, not left to their lease.
    await this.running;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Drops finished work older than the retention period (pending work is kept forever). */
  async prune(now = new Date()): Promise<void> {
    try {
      await this.outbox.prune(new Date(now.getTime() - WEBHOOK_RETENTION_MS));
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'Webhook outbox prune failed');
    }
  }

  private async pass(): Promise<void> {
    const { concurrency, maxAttempts } = this.config.webhooks;
    let dispatched = DISPATCH_BATCH;
    while (!this.stopped && dispatched === DISPATCH_BATCH)
      dispatched = await this.outbox.dispatch(DISPATCH_BATCH);
    if (this.stopped) return;
    await this.outbox.giveUpAbandoned(maxAttempts);
    const free = concurrency - this.inFlight.size;
    if (free <= 0 || this.stopped) return;
    // Claimed rows are attempted even if stop() came meanwhile: it waits for them.
    const claims = await this.outbox.claimDue(free, WEBHOOK_LEASE_MS, maxAttempts);
    for (const claim of claims) {
      const p = this.attempt(claim)
        .catch((err: unknown) =>
          this.log.warn(
            { err: { message: (err as Error).message }, deliveryId: claim.delivery.id },
            'Webhook attempt could not be recorded; it is retried when its lease lapses',
          ),
        )
        .finally(() => {
          this.inFlight.delete(p);
          // A slot is free: more may be due.
          this.kick();
        });
      this.inFlight.add(p);
    }
  }

  private async attempt(claim: ClaimedDelivery): Promise<void> {
    const { delivery, event, subscription } = claim;
    const { maxAttempts, allowPrivate, backoffBaseMs, backoffMaxMs } = this.config.webhooks;
    const startedAt = new Date();
    const body = JSON.stringify({
      id: event.id,
      type: event.type,
      createdAt: event.createdAt.toISOString(),
      data: JSON.parse(event.data) as unknown,
    });
    let sent: { ok: boolean; responseStatus: number | null; error: string | null };
    try {
      // Checked again at every attempt: what a name resolves to can change after create.
      const target = await vetWebhookUrl(subscription.url, { allowPrivate });
      sent = await sendWebhook(
        target,
        body,
        {
          'OnAir-Event': event.type,
          'OnAir-Delivery': event.id,
          'OnAir-Signature': signWebhook(subscription.secret, body, Math.floor(Date.now() / 1000)),
        },
        WEBHOOK_TIMEOUT_MS,
      );
    } catch (err) {
      if (!(err instanceof UnsafeWebhookUrlError)) throw err;
      sent = { ok: false, responseStatus: null, error: err.message };
    }
    const finishedAt = new Date();
    const outcome: AttemptOutcome = sent.ok
      ? { result: 'delivered', ...sent, startedAt, finishedAt }
      : delivery.attempts >= maxAttempts
        ? { result: 'gave_up', ...sent, startedAt, finishedAt }
        : {
            result: 'failed',
            ...sent,
            startedAt,
            finishedAt,
            nextAttemptAt: new Date(
              finishedAt.getTime() + backoffMs(delivery.attempts, backoffBaseMs, backoffMaxMs),
            ),
          };
    if (await this.outbox.settle(claim, outcome)) {
      this.metrics.webhookDelivery(event.type, outcome.result);
      if (outcome.result === 'gave_up')
        this.log.warn(
          {
            subscriptionId: subscription.id,
            eventId: event.id,
            attempts: delivery.attempts,
            error: sent.error,
          },
          'Webhook delivery gave up',
        );
    }
  }
}
