import type { EntityManager } from 'typeorm';

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

/** Product events other systems follow through webhooks (CONTRACT: Webhooks). */
export type ProductEventType = 'stream.started' | 'stream.ended' | 'recording.ready';
export interface ProductEvent {
  type: ProductEventType;
  /** Owner of the stream the event is about: a user's subscriptions receive their own events. */
  ownerId: string;
  data: Record<string, unknown>;
}

/**
 * Offered by webhooks: appends product events to the outbox inside the caller's transaction,
 * so an event exists exactly when the state change it reports does (a crash cannot keep one
 * without the other). Looked up optionally, like RoomLookup: without webhooks nothing is kept.
 */
export abstract class ProductEventOutbox {
  abstract append(manager: EntityManager, events: ProductEvent[]): Promise<void>;
}

/**
 * Offered by streams to playback: what a play check and a new playback session need to know
 * of a stream (one primary-key read; the play checks cache it, see StreamLiveCache).
 */
export abstract class PlayableStreams {
  /** null for an unknown stream. */
  abstract findPlayable(streamId: string): Promise<{
    status: 'idle' | 'live' | 'ended';
    access: 'public' | 'members';
    ownerId: string;
  } | null>;
}
