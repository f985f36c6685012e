/**
 * Who is online in which room. Bound once by mode: in-process when embedded, Redis when
 * clustered (every instance sees the same counts). Both pass test/integration/presence-store.spec.ts.
 *
 * Model: a viewer (user id, or `anon:<id>` for anonymous viewers) is online in a room while at
 * least one of its *sources* was seen within the TTL. A source is what keeps it there: `http`
 * for REST heartbeats, or the id of the OnAir instance holding one or more of its sockets
 * (that instance re-touches its sockets' viewers periodically). So:
 *  - two tabs on one instance are one source: the viewer counts once;
 *  - two tabs on two instances are two sources: closing one keeps the viewer online;
 *  - when the last source is released the viewer is gone at once;
 *  - a crashed instance simply stops touching, and its viewers age out after the TTL.
 * Every method takes `nowMs` so behaviour (expiry included) is testable without sleeping.
 */
export interface PresenceTouch {
  roomId: string;
  viewerId: string;
  /** 'http' or an instance id; never 'n'. */
  source: string;
  /** Shown in the members list; null for anonymous viewers (counted, never listed). */
  displayName: string | null;
}

export interface PresenceRelease {
  roomId: string;
  viewerId: string;
  source: string;
}

export interface PresenceMember {
  viewerId: string;
  displayName: string;
}

export abstract class PresenceStore {
  /** Marks viewers as seen now by their source (one round trip for the whole batch). */
  abstract touch(entries: readonly PresenceTouch[], nowMs: number): Promise<void>;

  /** Drops sources; a viewer with no live source left goes offline at once. */
  abstract release(entries: readonly PresenceRelease[], nowMs: number): Promise<void>;

  /** Viewers online in a room. */
  abstract count(roomId: string, nowMs: number): Promise<number>;

  /** Viewers online per room (one round trip). Unknown rooms count 0. */
  abstract counts(roomIds: readonly string[], nowMs: number): Promise<Map<string, number>>;

  /** Named (signed-in) viewers online in a room, at most `limit`. */
  abstract members(roomId: string, nowMs: number, limit: number): Promise<PresenceMember[]>;

  /** Viewers online summed over all rooms (online_viewers). */
  abstract total(nowMs: number): Promise<number>;

  /** Forgets everybody in a room (it was closed). */
  abstract clearRoom(roomId: string): Promise<void>;
}

/** Source name used by REST heartbeats. */
export const HTTP_SOURCE = 'http';
