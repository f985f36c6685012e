/** One viewer's playback position in one video. */
export interface PlaybackProgress {
  positionSec: number;
  paused: boolean;
  /** Server receive time of the write; decides which of two racing writes wins. */
  updatedAt: Date;
}

/**
 * Playback positions per user and video. Bound once: in-process when embedded, Redis when
 * clustered so a viewer resumes where they stopped whichever replica answers.
 *
 * Last write wins by `updatedAt`, atomically: a write older than the stored one is ignored, so
 * a slow request that reaches the store late cannot move a viewer backwards. Equal timestamps
 * overwrite (two writes within the same millisecond from one client arrive in order).
 */
export abstract class ProgressStore {
  /** Stores `progress` unless a newer entry exists; true when it was stored. */
  abstract save(userId: string, videoId: string, progress: PlaybackProgress): Promise<boolean>;
  abstract get(userId: string, videoId: string): Promise<PlaybackProgress | null>;
}
