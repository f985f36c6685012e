/**
 * Which playback sessions are watching which stream, for `stream.viewers`. Bound once by mode:
 * in-process when embedded, Redis when clustered (every instance sees the same count). Both pass
 * test/integration/viewer-session-store.spec.ts.
 *
 * Model: a session (the `sid` of a signed play URL) counts for a stream until a moment
 * (`untilMs`). HLS checks and update_play move that moment to now + PLAY_SESSION_TTL_SEC; a
 * play from a media server that never sends updates (SRS) holds it to the session's expiry;
 * play_done releases it at once. A refresh never shortens what an earlier call granted. Every
 * method takes `nowMs`, so expiry is testable without sleeping.
 */
export abstract class ViewerSessionStore {
  /**
   * Counts `sid` for `streamId` until at least `untilMs` (one round trip). Resolves true when the
   * session was not counted just before (new, or expired and back): a session started.
   */
  abstract touch(streamId: string, sid: string, untilMs: number, nowMs: number): Promise<boolean>;

  /** Stops counting a session at once (play_done). Unknown sessions are ignored. */
  abstract release(streamId: string, sid: string): Promise<void>;

  /** Sessions counted for one stream now. */
  abstract count(streamId: string, nowMs: number): Promise<number>;

  /** Sessions counted per stream now (one round trip); unknown streams count 0. */
  abstract counts(streamIds: readonly string[], nowMs: number): Promise<Map<string, number>>;

  /** Forgets every session of a stream (it went offline or ended). */
  abstract clearStream(streamId: string): Promise<void>;
}
