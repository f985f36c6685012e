import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DomainEventBus } from '../common/domain-event-bus';
import { isUnavailableError, withTimeout } from '../common/errors';
import { ProductEventOutbox, STREAM_LIVE, STREAM_OFFLINE, StreamStateEvent } from '../common/ports';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MediaServer, MetricsService } from '../metrics/metrics.service';
import { parseUuid } from '../common/uuid.pipe';
import { hashStreamKey, streamKeyMatches } from './stream-key';
import { StreamViewCache } from './stream-view.cache';
import { StreamsRepository } from './streams.repository';

/** Why a hook call was refused; logged for operators, never sent to players or publishers. */
export type RefusalReason =
  | 'unknown-stream'
  | 'missing-key'
  | 'wrong-key'
  | 'ended'
  | 'already-live'
  | 'owner-disabled'
  | 'unavailable';

type PublishOutcome = { ok: true; roomId: string | null } | { ok: false; reason: RefusalReason };

/**
 * The rules of a publisher's session on a media server, as the hooks and the sweeper see it:
 * publish (idle → live), publish_done (live → idle), nginx-rtmp update_publish (still the
 * accepted publisher?) and sweeping streams nothing confirms. Hook methods answer a plain
 * allow/deny and never throw for a refusal: the hook controllers translate that into each media
 * server's dialect. The REST rules of streams are StreamsService's.
 */
@Injectable()
export class PublishingService implements OnModuleInit {
  private readonly log = new Logger('PublishingService');
  /** Offered by webhooks when present; without it no product event is kept. */
  private outbox?: ProductEventOutbox;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly repo: StreamsRepository,
    private readonly views: StreamViewCache,
    private readonly events: DomainEventBus,
    private readonly metrics: MetricsService,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    try {
      this.outbox = this.moduleRef.get(ProductEventOutbox, { strict: false });
    } catch {
      this.outbox = undefined;
    }
  }

  /**
   * publish: right key + idle stream → live. Fails CLOSED: a database error, or no answer
   * within HOOK_PUBLISH_TIMEOUT_MS, is a refusal (the media server waits on this call).
   */
  async authorizePublish(
    server: MediaServer,
    rawStreamId: string | null,
    key: string | null,
    clientId: string | null,
    protocol: string | null = null,
  ): Promise<boolean> {
    const streamId = parseUuid(rawStreamId);
    let outcome: PublishOutcome;
    if (streamId === null) outcome = { ok: false, reason: 'unknown-stream' };
    else if (!key) outcome = { ok: false, reason: 'missing-key' };
    else outcome = await this.publishBounded(server, streamId, key, clientId, protocol);

    if (outcome.ok && streamId !== null) {
      this.metrics.publishAccepted(server);
      this.views.delete(streamId);
      this.log.log({ streamId, server, clientId }, 'Publish accepted');
      this.emit(STREAM_LIVE, { streamId, roomId: outcome.roomId });
      return true;
    }
    this.metrics.publishRejected(server);
    this.log.log(
      {
        streamId: streamId ?? undefined,
        server,
        clientId,
        reason: outcome.ok ? undefined : outcome.reason,
      },
      'Publish refused',
    );
    return false;
  }

  /**
   * publish_done / on_unpublish: live → idle, but only for the session that is live (a
   * refused second publisher's publish_done carries ITS client id and must change nothing).
   * Idempotent.
   */
  async publishDone(
    server: MediaServer,
    rawStreamId: string | null,
    clientId: string | null,
  ): Promise<void> {
    const streamId = parseUuid(rawStreamId);
    if (streamId === null) return;
    await this.bounded(async () => {
      const stream = await this.repo.markIdleBy(streamId, clientId);
      if (!stream) {
        this.log.debug(
          { streamId, server, clientId },
          'publish_done changed nothing: the stream is not live, or another session is',
        );
        return;
      }
      this.views.delete(streamId);
      this.log.log({ streamId, server, clientId }, 'Stream went offline');
      this.emit(STREAM_OFFLINE, { streamId, roomId: stream.roomId });
    }, 'publish_done');
  }

  /**
   * nginx-rtmp `update_publish` (every notify_update_timeout): true while this client is the
   * stream's accepted publisher, its key is still current and the owner is active; it also
   * keeps the stream's lastSeenAt. A refusal makes nginx-rtmp drop the publisher, which is how
   * a delete, key rotation or disable cuts it. One conditional UPDATE, no cache: the state it
   * checks changes on any instance and must be seen by the next update, and lastSeenAt has to
   * be written anyway. Fails OPEN: a database outage must not cut every live publisher; the
   * cut then waits for the next update that gets an answer.
   */
  async confirmPublisher(
    server: MediaServer,
    rawStreamId: string | null,
    key: string | null,
    clientId: string | null,
  ): Promise<boolean> {
    const streamId = parseUuid(rawStreamId);
    if (streamId === null || !key || !clientId) {
      this.log.log(
        { streamId: streamId ?? undefined, server, clientId },
        'Publisher update refused',
      );
      return false;
    }
    let confirmed: boolean;
    try {
      confirmed = await this.bounded(
        () => this.repo.confirmPublisher(streamId, clientId, hashStreamKey(key)),
        'publisher update',
      );
    } catch (err) {
      this.logHookFailure(err, 'publisher update', 'answered allowed');
      return true;
    }
    if (!confirmed)
      this.log.log(
        { streamId, server, clientId },
        'Publisher update refused: not the live publisher, key rotated, stream ended or owner disabled',
      );
    return confirmed;
  }

  /**
   * Sweeps nginx-rtmp streams that no update confirmed for STREAM_STALE_SEC back to idle (the
   * media server died, lost its connection to us or forgot to send publish_done). Only
   * nginx-rtmp confirms a publisher periodically; SRS and MediaMTX streams are left alone.
   * Exactly one instance gets each stream (one conditional UPDATE … RETURNING), and the
   * `stream.ended` product event is appended in the same transaction. Returns how many.
   */
  async sweepStale(now = new Date()): Promise<number> {
    const staleSec = this.config.liveState.streamStaleSec;
    if (staleSec <= 0) return 0;
    const cutoff = new Date(now.getTime() - staleSec * 1000);
    const outbox = this.outbox;
    const swept = await this.repo.sweepStale(
      'nginx-rtmp',
      cutoff,
      async (manager, rows) => {
        if (!outbox) return;
        await outbox.append(
          manager,
          rows.map((s) => ({
            type: 'stream.ended' as const,
            ownerId: s.ownerId,
            data: {
              streamId: s.id,
              ownerId: s.ownerId,
              title: s.title,
              roomId: s.roomId,
              startedAt: s.startedAt ? s.startedAt.toISOString() : null,
              endedAt: (s.endedAt ?? now).toISOString(),
              reason: 'stale',
            },
          })),
        );
      },
      now,
    );
    for (const s of swept) {
      this.views.delete(s.id);
      this.log.warn(
        { streamId: s.id, staleSec },
        'Live stream swept to idle: the media server stopped confirming it',
      );
      this.emit(STREAM_OFFLINE, { streamId: s.id, roomId: s.roomId });
    }
    this.metrics.streamsSweptCount(swept.length);
    return swept.length;
  }

  /* --------------------------------------------------------------- helpers */

  private async publishBounded(
    server: MediaServer,
    streamId: string,
    key: string,
    clientId: string | null,
    protocol: string | null,
  ): Promise<PublishOutcome> {
    const attempt = { abandoned: false };
    const work = this.tryPublish(server, streamId, key, clientId, protocol, attempt);
    try {
      return await withTimeout(work, this.config.hooks.publishTimeoutMs, 'publish authorization');
    } catch (err) {
      attempt.abandoned = true;
      // We answered "refused". If the write still lands later, undo it, or the stream would
      // look live with nobody publishing (and refuse the retry as a second publisher).
      void work
        .then(async (late) => {
          if (late.ok && (await this.repo.markIdle(streamId, clientId)))
            this.views.delete(streamId);
        })
        .catch(() => undefined);
      this.logHookFailure(err, 'publish authorization');
      return { ok: false, reason: 'unavailable' };
    }
  }

  /** One indexed read (primary key, with the owner's state) and at most one conditional write. */
  private async tryPublish(
    server: MediaServer,
    streamId: string,
    key: string,
    clientId: string | null,
    protocol: string | null,
    attempt: { abandoned: boolean },
  ): Promise<PublishOutcome> {
    const found = await this.repo.findForPublish(streamId);
    if (!found) return { ok: false, reason: 'unknown-stream' };
    const { stream } = found;
    // The key is checked before anything about the state is revealed by the outcome.
    if (!streamKeyMatches(key, stream.keyHash)) return { ok: false, reason: 'wrong-key' };
    if (stream.status === 'ended') return { ok: false, reason: 'ended' };
    if (stream.status === 'live') return { ok: false, reason: 'already-live' };
    // A disabled owner's publisher would otherwise be cut at its first update and reconnect.
    if (!found.ownerActive) return { ok: false, reason: 'owner-disabled' };
    if (attempt.abandoned) return { ok: false, reason: 'unavailable' };
    // Conditional on status AND key hash: loses cleanly against a concurrent publisher or rotation.
    if (
      !(await this.repo.markLive(streamId, stream.keyHash, clientId, server, new Date(), protocol))
    )
      return { ok: false, reason: 'already-live' };
    return { ok: true, roomId: stream.roomId };
  }

  private bounded<T>(fn: () => Promise<T>, what: string): Promise<T> {
    return withTimeout(fn(), this.config.hooks.publishTimeoutMs, what);
  }

  private logHookFailure(err: unknown, what: string, outcome = 'failed closed'): void {
    if (isUnavailableError(err))
      this.log.warn(
        { err: { message: (err as Error).message } },
        `${what} ${outcome}: database unavailable`,
      );
    else this.log.error({ err }, `${what} ${outcome}: unexpected error`);
  }

  private emit(event: typeof STREAM_LIVE | typeof STREAM_OFFLINE, payload: StreamStateEvent): void {
    this.events.emit(event, payload);
  }
}
