import { Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { PresenceMember, PresenceRelease, PresenceStore, PresenceTouch } from './presence.store';

interface Viewer {
  /** source → last seen (ms). */
  sources: Map<string, number>;
  displayName: string | null;
}

/**
 * In-process presence for one embedded instance: room → viewer → sources. Expired viewers
 * are pruned lazily when their room is read or written, so no timers are needed.
 */
@Injectable()
export class MemoryPresenceStore extends PresenceStore {
  private readonly rooms = new Map<string, Map<string, Viewer>>();
  private readonly ttlMs: number;

  constructor(@InjectConfig() config: Pick<AppConfig, 'presenceTtlSec'>) {
    super();
    this.ttlMs = config.presenceTtlSec * 1000;
  }

  touch(entries: readonly PresenceTouch[], nowMs: number): Promise<void> {
    for (const e of entries) {
      let room = this.rooms.get(e.roomId);
      if (!room) {
        room = new Map();
        this.rooms.set(e.roomId, room);
      }
      let viewer = room.get(e.viewerId);
      if (!viewer) {
        viewer = { sources: new Map(), displayName: null };
        room.set(e.viewerId, viewer);
      }
      viewer.sources.set(e.source, nowMs);
      if (e.displayName !== null) viewer.displayName = e.displayName;
    }
    return Promise.resolve();
  }

  release(entries: readonly PresenceRelease[], nowMs: number): Promise<void> {
    for (const e of entries) {
      const room = this.rooms.get(e.roomId);
      const viewer = room?.get(e.viewerId);
      if (!room || !viewer) continue;
      viewer.sources.delete(e.source);
      if (!this.isLive(viewer, nowMs)) room.delete(e.viewerId);
      if (room.size === 0) this.rooms.delete(e.roomId);
    }
    return Promise.resolve();
  }

  count(roomId: string, nowMs: number): Promise<number> {
    return Promise.resolve(this.prune(roomId, nowMs));
  }

  counts(roomIds: readonly string[], nowMs: number): Promise<Map<string, number>> {
    return Promise.resolve(new Map(roomIds.map((id) => [id, this.prune(id, nowMs)])));
  }

  members(roomId: string, nowMs: number, limit: number): Promise<PresenceMember[]> {
    this.prune(roomId, nowMs);
    const out: PresenceMember[] = [];
    for (const [viewerId, v] of this.rooms.get(roomId) ?? []) {
      if (out.length >= limit) break;
      if (v.displayName !== null) out.push({ viewerId, displayName: v.displayName });
    }
    return Promise.resolve(out);
  }

  total(nowMs: number): Promise<number> {
    let sum = 0;
    for (const roomId of [...this.rooms.keys()]) sum += this.prune(roomId, nowMs);
    return Promise.resolve(sum);
  }

  clearRoom(roomId: string): Promise<void> {
    this.rooms.delete(roomId);
    return Promise.resolve();
  }

  private isLive(v: Viewer, nowMs: number): boolean {
    const cutoff = nowMs - this.ttlMs;
    for (const seen of v.sources.values()) if (seen > cutoff) return true;
    return false;
  }

  /** Drops expired viewers of a room and returns how many are left. */
  private prune(roomId: string, nowMs: number): number {
    const room = this.rooms.get(roomId);
    if (!room) return 0;
    for (const [id, v] of room) if (!this.isLive(v, nowMs)) room.delete(id);
    if (room.size === 0) this.rooms.delete(roomId);
    return room.size;
  }
}
