import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEventBus } from '../common/domain-event-bus';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../auth/auth.types';
import { canManage } from '../auth/auth.types';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  ValidationFailedError,
} from '../common/errors';
import { decodeCursor, Page, toPage } from '../common/pagination';
import {
  LiveStreamLookup,
  PlayableStreams,
  RoomLookup,
  STREAM_LIVE,
  STREAM_OFFLINE,
  StreamStateEvent,
  USER_REVOKED,
  UserRevokedEvent,
} from '../common/ports';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import type { CreateStreamDto } from './dto/create-stream.dto';
import type { ListStreamsQueryDto } from './dto/list-streams.query';
import type { StreamDto, StreamWithKeyDto } from './dto/stream.dto';
import type { UpdateStreamDto } from './dto/update-stream.dto';
import { PlaybackUrls } from '../playback/playback-urls';
import { ViewerSessions } from '../playback/viewer-sessions.service';
import type { StreamAccess, StreamEntity } from './stream.entity';
import { PublisherCutter } from './publisher-cutter';
import { parseUuid } from '../common/uuid.pipe';
import { generateStreamKey, hashStreamKey } from './stream-key';
import { StreamsRepository } from './streams.repository';
import { CachedView, StreamViewCache } from './stream-view.cache';

/**
 * The REST rules of streams: create, read, change, end, rotate keys, and what other features
 * look up (LiveStreamLookup, PlayableStreams). The rules of a publisher's session on a media
 * server (publish, publish_done, update_publish, the sweeper) are PublishingService's.
 */
@Injectable()
export class StreamsService implements LiveStreamLookup, PlayableStreams, OnModuleInit {
  private readonly log = new Logger('StreamsService');
  /** Offered by rooms when that feature is present; without it any well-formed room id is accepted. */
  private rooms?: RoomLookup;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly repo: StreamsRepository,
    private readonly views: StreamViewCache,
    private readonly urls: PlaybackUrls,
    private readonly viewers: ViewerSessions,
    private readonly events: DomainEventBus,
    private readonly metrics: MetricsService,
    private readonly moduleRef: ModuleRef,
    private readonly cutter: PublisherCutter,
  ) {}

  onModuleInit(): void {
    // Looked up once every provider exists instead of injected: rooms in turn use this
    // service as their LiveStreamLookup, and constructor injection both ways is a cycle.
    try {
      this.rooms = this.moduleRef.get(RoomLookup, { strict: false });
    } catch {
      this.rooms = undefined;
    }
    // Read from the database at scrape time so every replica reports the cluster-wide value.
    this.metrics.setSource('liveStreams', () => this.repo.countLive());
    this.metrics.setSource('streamViewers', async () => {
      let sum = 0;
      for (const n of (await this.viewers.counts(await this.repo.listLiveIds())).values()) sum += n;
      return sum;
    });
  }

  /* ------------------------------------------------------------------ REST */

  async create(user: AuthUser, dto: CreateStreamDto): Promise<StreamWithKeyDto> {
    const roomId = dto.roomId ?? null;
    if (roomId !== null) await this.assertRoomOpen(roomId);
    // Check-then-insert: two concurrent creates by one user may both pass; the limit is a
    // quota against accidents and abuse, not a security boundary.
    const active = await this.repo.countActiveByOwner(user.id);
    if (active >= this.config.maxStreamsPerUser) {
      throw new ConflictError(
        `you already have ${this.config.maxStreamsPerUser} streams that are not ended; delete one first`,
      );
    }
    const key = generateStreamKey();
    const stream = await this.repo.create({
      id: randomUUID(),
      title: dto.title,
      ownerId: user.id,
      roomId,
      access: dto.access ?? 'public',
      keyHash: hashStreamKey(key),
    });
    return this.ownerView(stream, key, 0);
  }

  async get(id: string): Promise<StreamDto> {
    let view = this.views.get(id);
    if (!view) {
      const stream = await this.repo.findById(id);
      if (!stream) throw new NotFoundError('stream');
      view = this.publicView(stream);
      this.views.set(id, view);
    }
    // The count is never cached: it is one store read, and a player that left must not linger.
    return this.withViewers(view, view.status === 'live' ? await this.viewers.count(id) : 0);
  }

  async list(query: ListStreamsQueryDto): Promise<Page<StreamDto>> {
    const limit = query.limit ?? 20;
    const rows = await this.repo.listPage(
      { status: query.status, ownerId: query.ownerId },
      decodeCursor(query.cursor),
      limit,
    );
    const counts = await this.viewers.counts(
      rows.filter((s) => s.status === 'live').map((s) => s.id),
    );
    return toPage(rows, limit, (s) => this.withViewers(this.publicView(s), counts.get(s.id) ?? 0));
  }

  /** LiveStreamLookup port: the stream live in a room (the latest to go live), or null. */
  async findLiveByRoom(roomId: string): Promise<StreamDto | null> {
    const id = parseUuid(roomId);
    const stream = id === null ? null : await this.repo.findLiveByRoom(id);
    return stream
      ? this.withViewers(this.publicView(stream), await this.viewers.count(stream.id))
      : null;
  }

  /** PlayableStreams port: what the play checks and new playback sessions need (one read). */
  async findPlayable(
    id: string,
  ): Promise<{ status: StreamEntity['status']; access: StreamAccess; ownerId: string } | null> {
    const stream = await this.repo.findById(id);
    return stream
      ? { status: stream.status, access: stream.access, ownerId: stream.ownerId }
      : null;
  }

  async update(user: AuthUser, id: string, dto: UpdateStreamDto): Promise<StreamDto> {
    if (dto.title === undefined && dto.roomId === undefined && dto.access === undefined)
      throw new ValidationFailedError('provide title, roomId and/or access');
    const before = await this.manageable(user, id);
    if (dto.roomId) await this.assertRoomOpen(dto.roomId);
    const patch: { title?: string; roomId?: string | null; access?: StreamAccess } = {};
    if (dto.title !== undefined) patch.title = dto.title;
    if (dto.roomId !== undefined) patch.roomId = dto.roomId;
    if (dto.access !== undefined) patch.access = dto.access;
    if (!(await this.repo.updateDetails(id, patch)))
      throw new ConflictError('stream has ended and can no longer be changed');
    this.views.delete(id);
    const after = await this.mustFind(id);
    // A live stream that moves to another room leaves the old one and goes live in the new one.
    if (after.status === 'live' && before.roomId !== after.roomId) {
      this.emit(STREAM_OFFLINE, { streamId: id, roomId: before.roomId });
      this.emit(STREAM_LIVE, { streamId: id, roomId: after.roomId });
    }
    return this.withViewers(
      this.publicView(after),
      after.status === 'live' ? await this.viewers.count(id) : 0,
    );
  }

  /** Ends the stream for good (a live one goes offline first). Idempotent. */
  async remove(user: AuthUser, id: string): Promise<void> {
    let stream = await this.manageable(user, id);
    // Retry when the stream changed state between the read and the conditional update (e.g.
    // a publish landed), so that a live stream always announces it went offline.
    for (let attempt = 0; attempt < 5 && stream.status !== 'ended'; attempt++) {
      if (await this.repo.markEnded(id, stream.status)) {
        this.views.delete(id);
        if (stream.status === 'live') {
          this.emit(STREAM_OFFLINE, { streamId: id, roomId: stream.roomId });
          void this.cutter.cut(stream, 'deleted');
        }
        return;
      }
      stream = await this.mustFind(id);
    }
    if (stream.status !== 'ended') throw new ConflictError('stream is changing state, try again');
  }

  /**
   * New key; the old one is refused from now on, and a publisher already live on it is cut
   * off (nginx-rtmp at its next update, SRS/MediaMTX through their API).
   */
  async rotateKey(user: AuthUser, id: string): Promise<StreamWithKeyDto> {
    await this.manageable(user, id);
    const key = generateStreamKey();
    if (!(await this.repo.rotateKeyHash(id, hashStreamKey(key))))
      throw new ConflictError('stream has ended and can no longer be changed');
    this.views.delete(id);
    // Read after the rotation: a publisher that went live in between is live on the old key.
    const after = await this.mustFind(id);
    if (after.status === 'live') void this.cutter.cut(after, 'key_rotated');
    return this.ownerView(after, key, after.status === 'live' ? await this.viewers.count(id) : 0);
  }

  /** A disabled (or deleted) account's live publishers are cut off, on every media server. */
  @OnEvent(USER_REVOKED)
  async onUserRevoked(event: UserRevokedEvent): Promise<void> {
    try {
      const live = await this.repo.findLiveByOwner(event.userId);
      await Promise.all(live.map((s) => this.cutter.cut(s, 'user_disabled')));
    } catch (err) {
      this.log.warn(
        { userId: event.userId, err: { message: (err as Error).message } },
        "Could not look up the revoked account's live streams; nginx-rtmp still refuses them at the next update",
      );
    }
  }

  /* --------------------------------------------------------------- helpers */
  private async mustFind(id: string): Promise<StreamEntity> {
    const stream = await this.repo.findById(id);
    if (!stream) throw new NotFoundError('stream');
    return stream;
  }

  private async manageable(user: AuthUser, id: string): Promise<StreamEntity> {
    const stream = await this.mustFind(id);
    if (!canManage(user, stream.ownerId))
      throw new ForbiddenError('only the owner of this stream (or an admin) may change it');
    return stream;
  }

  private async assertRoomOpen(roomId: string): Promise<void> {
    if (!this.rooms) return;
    const status = await this.rooms.status(roomId);
    if (status === undefined)
      throw new ValidationFailedError('roomId does not reference an existing room');
    if (status === 'closed') throw new DomainError('ROOM_CLOSED', 'the room is closed');
  }

  private emit(event: typeof STREAM_LIVE | typeof STREAM_OFFLINE, payload: StreamStateEvent): void {
    this.events.emit(event, payload);
  }

  /**
   * What anyone may see. Since 0.2 it carries no play URLs: a URL handed to everyone would count
   * nobody; each player asks POST /streams/:id/playback for its own session.
   */
  private publicView(s: StreamEntity): CachedView {
    return {
      id: s.id,
      title: s.title,
      status: s.status,
      access: s.access,
      ownerId: s.ownerId,
      roomId: s.roomId,
      startedAt: s.startedAt ? s.startedAt.toISOString() : null,
      endedAt: s.endedAt ? s.endedAt.toISOString() : null,
      createdAt: s.createdAt.toISOString(),
    };
  }

  /** The view with its viewer count, in the contract's field order. */
  private withViewers(v: CachedView, viewers: number): StreamDto {
    return {
      id: v.id,
      title: v.title,
      status: v.status,
      access: v.access,
      ownerId: v.ownerId,
      roomId: v.roomId,
      viewers,
      startedAt: v.startedAt,
      endedAt: v.endedAt,
      createdAt: v.createdAt,
    };
  }

  private ownerView(s: StreamEntity, key: string, viewers: number): StreamWithKeyDto {
    const rtmpUrl = this.config.media.rtmpIngestUrl;
    const streamName = `${s.id}?key=${key}`;
    return {
      ...this.withViewers(this.publicView(s), viewers),
      streamKey: key,
      // The owner's own preview: a session like any player's (counted once it plays).
      playback: this.urls.issue(s.id),
      ingest: { rtmpUrl, streamName, url: `${rtmpUrl}/${streamName}` },
    };
  }
}
