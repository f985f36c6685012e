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

/** Room events; the chat gateway turns them into Socket.IO broadcasts on every instance. */
export const ROOM_CLOSED = 'room.closed';
export interface RoomClosedEvent {
  roomId: string;
}

export const ROOM_USER_BANNED = 'room.user-banned';
export interface RoomUserBannedEvent {
  roomId: string;
  userId: string;
  /** null = until lifted. */
  until: Date | null;
}

/**
 * A room's online count changed (sockets and HTTP viewers, all instances); emitted by presence
 * on each instance with local sockets in the room, for its own sockets.
 */
export const PRESENCE_CHANGED = 'presence.changed';
export interface PresenceChangedEvent {
  roomId: string;
  onlineCount: number;
}

/**
 * Every in-process domain event by name, with its payload. Published through DomainEventBus
 * (src/common/domain-event-bus.ts) on the instance that handled the change; listeners use
 * `@OnEvent(NAME)` with the payload type named here.
 */
export interface DomainEvents {
  [STREAM_LIVE]: StreamStateEvent;
  [STREAM_OFFLINE]: StreamStateEvent;
  [USER_REVOKED]: UserRevokedEvent;
  [ROOM_CLOSED]: RoomClosedEvent;
  [ROOM_USER_BANNED]: RoomUserBannedEvent;
  [PRESENCE_CHANGED]: PresenceChangedEvent;
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

/** A finished recording as a media server reports it (nginx-rtmp record_done, SRS on_dvr). */
export interface RecordingReport {
  server: 'nginx-rtmp' | 'srs';
  /** Stream name = stream id, as sent. */
  streamName: string | null;
  /** The recorded file as the media server names it (absolute). */
  path: string | null;
}

/**
 * Offered by recordings: takes a report from the hooks and queues the import (persisted before
 * it returns). Refusals are logged and counted there, never thrown: the media server cannot fix
 * them. Looked up optionally: without recordings, reports are ignored.
 */
export abstract class RecordingIntake {
  abstract accept(report: RecordingReport): Promise<void>;
}
