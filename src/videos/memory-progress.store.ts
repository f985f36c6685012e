import { Injectable } from '@nestjs/common';
import { PlaybackProgress, ProgressStore } from './progress.store';

/** Users kept in memory before the least recently written one is dropped. */
const MAX_USERS = 100_000;
/** Videos kept per user before the least recently written one is dropped. */
const MAX_VIDEOS_PER_USER = 1_000;

/**
 * In-process store for embedded mode (one process, so a plain Map is atomic). Bounded LRU by
 * write order so a long-running instance cannot grow without limit.
 */
@Injectable()
export class MemoryProgressStore extends ProgressStore {
  private readonly users = new Map<string, Map<string, PlaybackProgress>>();

  save(userId: string, videoId: string, progress: PlaybackProgress): Promise<boolean> {
    let videos = this.users.get(userId);
    const current = videos?.get(videoId);
    if (current && current.updatedAt.getTime() > progress.updatedAt.getTime())
      return Promise.resolve(false);
    if (videos) this.users.delete(userId);
    else videos = new Map();
    this.users.set(userId, videos);
    videos.delete(videoId);
    videos.set(videoId, {
      positionSec: progress.positionSec,
      paused: progress.paused,
      updatedAt: new Date(progress.updatedAt),
    });
    if (videos.size > MAX_VIDEOS_PER_USER) videos.delete(videos.keys().next().value!);
    if (this.users.size > MAX_USERS) this.users.delete(this.users.keys().next().value!);
    return Promise.resolve(true);
  }

  get(userId: string, videoId: string): Promise<PlaybackProgress | null> {
    const p = this.users.get(userId)?.get(videoId);
    return Promise.resolve(p ? { ...p, updatedAt: new Date(p.updatedAt) } : null);
  }
}
