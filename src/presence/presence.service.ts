import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { WarnEvery } from '../common/rate-limited-log';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { DomainEventBus } from '../common/domain-event-bus';
import { PRESENCE_CHANGED } from '../common/ports';
import { MetricsService } from '../metrics/metrics.service';
import { HTTP_SOURCE, PresenceMember, PresenceStore } from './presence.store';

export interface PresenceViewer {
  /** User id for signed-in viewers, `anon:<id>` for anonymous ones. */
  viewerId: string;
  /** null for anonymous viewers (counted, not listed). */
  displayName: string | null;
}

const TICK_MS = 1000;
const MEMBERS_LIMIT = 500;

/** Viewer id of an anonymous viewer (the id it chose, or its connection id); never collides with a user id. */
export function anonymousViewerId(id: string): string {
  return `anon:${id}`;
}

/**
 * Presence rules on top of PresenceStore. This instance is one "source" for the viewers of the
 * sockets it holds: it tracks them locally (room → viewer → socket ids), touches them in the store
 * when they join, heartbeat, and periodically while connected, and releases them when their last
 * local socket leaves. REST heartbeats are the `http` source.
 *
 * One 1-second ticker per process (not one timer per room or per event) does two things:
 * re-touches local viewers every ~TTL/3, and recomputes the counts of rooms that have local
 * sockets, calling the listener only when a count changed. That coalesces presence:update to at
 * most one per room per second and also catches changes made elsewhere (other instances, REST
 * heartbeats, TTL expiry).
 */
@Injectable()
export class PresenceService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(PresenceService.name);
  /** This process, as a presence source. */
  readonly instanceId = randomUUID();
  private readonly byRoom = new Map<
    string,
    Map<string, { sockets: Set<string>; displayName: string | null }>
  >();
  private readonly bySocket = new Map<string, Map<string, string>>();
  private readonly lastSent = new Map<string, number>();
  private readonly refreshEveryTicks: number;
  private timer?: NodeJS.Timeout;
  private ticks = 0;
  private ticking = false;
  private stopped = false;
  private readonly storeWarn = new WarnEvery(10_000);

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly store: PresenceStore,
    private readonly metrics: MetricsService,
    private readonly events: DomainEventBus,
  ) {
    this.refreshEveryTicks = Math.max(1, Math.floor((config.presenceTtlSec * 1000) / 3 / TICK_MS));
  }

  onModuleInit(): void {
    this.metrics.setSource('onlineViewers', () => this.store.total(Date.now()));
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    this.stopTicker();
  }

  /** A local socket entered a room; resolves with the room's online count afterwards. */
  async socketJoined(roomId: string, socketId: string, viewer: PresenceViewer): Promise<number> {
    // Joining again as somebody else (an anonymous socket changing its viewerId) first leaves as the old viewer.
    const previous = this.bySocket.get(socketId)?.get(roomId);
    if (previous !== undefined && previous !== viewer.viewerId)
      await this.socketLeft(roomId, socketId);
    let rooms = this.bySocket.get(socketId);
    if (!rooms) {
      rooms = new Map();
      this.bySocket.set(socketId, rooms);
    }
    rooms.set(roomId, viewer.viewerId);
    let viewers = this.byRoom.get(roomId);
    if (!viewers) {
      viewers = new Map();
      this.byRoom.set(roomId, viewers);
    }
    const entry = viewers.get(viewer.viewerId) ?? {
      sockets: new Set<string>(),
      displayName: viewer.displayName,
    };
    entry.sockets.add(socketId);
    viewers.set(viewer.viewerId, entry);
    const now = Date.now();
    try {
      await this.store.touch(
        [
          {
            roomId,
            viewerId: viewer.viewerId,
            source: this.instanceId,
            displayName: viewer.displayName,
          },
        ],
        now,
      );
      return await this.store.count(roomId, now);
    } catch (err) {
      this.storeFailed(err);
      // Degrade to what this instance knows instead of failing the join.
      return viewers.size;
    }
  }

  /** A local socket left a room (leave, removal, disconnect). Idempotent. */
  async socketLeft(roomId: string, socketId: string): Promise<void> {
    const rooms = this.bySocket.get(socketId);
    const viewerId = rooms?.get(roomId);
    if (!rooms || viewerId === undefined) return;
    rooms.delete(roomId);
    if (rooms.size === 0) this.bySocket.delete(socketId);
    const viewers = this.byRoom.get(roomId);
    const entry = viewers?.get(viewerId);
    if (!viewers || !entry) return;
    entry.sockets.delete(socketId);
    if (entry.sockets.size > 0) return; // another local tab keeps this viewer here
    viewers.delete(viewerId);
    if (viewers.size === 0) this.byRoom.delete(roomId);
    try {
      await this.store.release([{ roomId, viewerId, source: this.instanceId }], Date.now());
    } catch (err) {
      // The entry ages out after the TTL instead.
      this.storeFailed(err);
    }
  }

  /** presence:heartbeat from a socket that is in the room. */
  async socketHeartbeat(roomId: string, socketId: string): Promise<boolean> {
    const viewerId = this.bySocket.get(socketId)?.get(roomId);
    if (viewerId === undefined) return false;
    const displayName = this.byRoom.get(roomId)?.get(viewerId)?.displayName ?? null;
    await this.store.touch(
      [{ roomId, viewerId, source: this.instanceId, displayName }],
      Date.now(),
    );
    return true;
  }

  /** POST /rooms/:id/heartbeat: keeps a player-only viewer counted for the TTL. */
  async httpHeartbeat(roomId: string, viewer: PresenceViewer): Promise<void> {
    await this.store.touch(
      [{ roomId, viewerId: viewer.viewerId, source: HTTP_SOURCE, displayName: viewer.displayName }],
      Date.now(),
    );
  }

  count(roomId: string): Promise<number> {
    return this.store.count(roomId, Date.now());
  }

  counts(roomIds: readonly string[]): Promise<Map<string, number>> {
    return this.store.counts(roomIds, Date.now());
  }

  async snapshot(roomId: string): Promise<{ onlineCount: number; members: PresenceMember[] }> {
    const now = Date.now();
    const [onlineCount, members] = await Promise.all([
      this.store.count(roomId, now),
      this.store.members(roomId, now, MEMBERS_LIMIT),
    ]);
    members.sort(
      (a, b) => a.displayName.localeCompare(b.displayName) || a.viewerId.localeCompare(b.viewerId),
    );
    return { onlineCount, members };
  }

  /** The room was closed: nobody is online there any more. */
  async clearRoom(roomId: string): Promise<void> {
    await this.store.clearRoom(roomId);
  }

  /**
   * Shutdown: stop ticking and remove this instance as a source of all its viewers, so they
   * drop at once (or stay, when another instance or a REST heartbeat still holds them).
   */
  async releaseAll(): Promise<void> {
    this.stopTicker();
    const entries = [...this.byRoom].flatMap(([roomId, viewers]) =>
      [...viewers.keys()].map((viewerId) => ({ roomId, viewerId, source: this.instanceId })),
    );
    this.byRoom.clear();
    this.bySocket.clear();
    if (entries.length === 0) return;
    try {
      await this.store.release(entries, Date.now());
    } catch (err) {
      this.storeFailed(err);
    }
  }

  private stopTicker(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    // A slow store must not stack ticks on top of each other.
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      this.ticks++;
      const now = Date.now();
      if (this.ticks % this.refreshEveryTicks === 0) {
        const entries = [...this.byRoom].flatMap(([roomId, viewers]) =>
          [...viewers].map(([viewerId, v]) => ({
            roomId,
            viewerId,
            source: this.instanceId,
            displayName: v.displayName,
          })),
        );
        await this.store.touch(entries, now);
      }
      for (const roomId of this.lastSent.keys())
        if (!this.byRoom.has(roomId)) this.lastSent.delete(roomId);
      const roomIds = [...this.byRoom.keys()];
      if (roomIds.length === 0) return;
      const counts = await this.store.counts(roomIds, now);
      for (const [roomId, n] of counts) {
        if (this.lastSent.get(roomId) === n || this.stopped) continue;
        this.lastSent.set(roomId, n);
        // At most once per second per room with local sockets, and only when the count changed.
        this.events.emit(PRESENCE_CHANGED, { roomId, onlineCount: n });
      }
    } catch (err) {
      this.storeFailed(err);
    } finally {
      this.ticking = false;
    }
  }

  private storeFailed(err: unknown): void {
    if (!this.storeWarn.due()) return;
    this.log.warn(
      { err: { message: (err as Error).message } },
      'Presence store unavailable; counts may lag until it is back',
    );
  }
}
