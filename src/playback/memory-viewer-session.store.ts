import { Injectable } from '@nestjs/common';
import { ViewerSessionStore } from './viewer-session.store';

/**
 * In-process sessions of one embedded instance: stream → sid → counted-until (ms). Expired
 * sessions are pruned when their stream is read or written, so no timers are needed.
 */
@Injectable()
export class MemoryViewerSessionStore extends ViewerSessionStore {
  private readonly streams = new Map<string, Map<string, number>>();

  touch(streamId: string, sid: string, untilMs: number, nowMs: number): Promise<boolean> {
    let sessions = this.streams.get(streamId);
    if (!sessions) {
      sessions = new Map();
      this.streams.set(streamId, sessions);
    }
    const before = sessions.get(sid);
    const started = before === undefined || before <= nowMs;
    sessions.set(sid, before !== undefined && before > untilMs ? before : untilMs);
    return Promise.resolve(started);
  }

  release(streamId: string, sid: string): Promise<void> {
    const sessions = this.streams.get(streamId);
    if (sessions) {
      sessions.delete(sid);
      if (sessions.size === 0) this.streams.delete(streamId);
    }
    return Promise.resolve();
  }

  count(streamId: string, nowMs: number): Promise<number> {
    return Promise.resolve(this.prune(streamId, nowMs));
  }

  counts(streamIds: readonly string[], nowMs: number): Promise<Map<string, number>> {
    return Promise.resolve(new Map(streamIds.map((id) => [id, this.prune(id, nowMs)])));
  }

  clearStream(streamId: string): Promise<void> {
    this.streams.delete(streamId);
    return Promise.resolve();
  }

  /** Drops the expired sessions of a stream and returns how many are left. */
  private prune(streamId: string, nowMs: number): number {
    const sessions = this.streams.get(streamId);
    if (!sessions) return 0;
    for (const [sid, until] of sessions) if (until <= nowMs) sessions.delete(sid);
    if (sessions.size === 0) this.streams.delete(streamId);
    return sessions.size;
  }
}
