/**
 * Small interfaces one feature offers another without importing its module (avoids cycles;
 * nobody reaches into another feature's repository).
 */

/** Offered by rooms: lets streams check a roomId before linking to it. */
export abstract class RoomLookup {
  /** 'open' | 'closed' for a known room, undefined for an unknown one. */
  abstract status(roomId: string): Promise<'open' | 'closed' | undefined>;
}

/**
 * Offered by streams: the public view of the stream currently live in a room, or null.
 * Rooms use it for GET /rooms/:id `liveStream`; it is optional (rooms answer null without it).
 */
export abstract class LiveStreamLookup {
  abstract findLiveByRoom(roomId: string): Promise<object | null>;
}

/** Domain events published with @nestjs/event-emitter. */
export const STREAM_LIVE = 'stream.live';
export const STREAM_OFFLINE = 'stream.offline';
export interface StreamStateEvent {
  streamId: string;
  roomId: string | null;
}

/** Emitted by the chat gateway's owner when an account is disabled or deleted (open sockets close). */
export const USER_REVOKED = 'user.revoked';
export interface UserRevokedEvent {
  userId: string;
}
