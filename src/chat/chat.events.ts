import type { ErrorCode } from '../common/errors';

/** What clients see of a chat message (chat:message, the send ack and history items). */
export interface ChatMessageView {
  id: string;
  roomId: string;
  user: { id: string; displayName: string };
  text: string;
  createdAt: string;
}

/** The one typed map of server → client events on /chat. */
export interface ServerToClientEvents {
  'chat:message': (payload: ChatMessageView) => void;
  'chat:deleted': (payload: { id: string; roomId: string }) => void;
  'presence:update': (payload: { roomId: string; onlineCount: number }) => void;
  'stream:live': (payload: { streamId: string; roomId: string }) => void;
  'stream:offline': (payload: { streamId: string; roomId: string }) => void;
  'room:closed': (payload: { roomId: string }) => void;
  'chat:banned': (payload: { roomId: string; until: string | null }) => void;
  'server:shutdown': (payload: Record<string, never>) => void;
}
export type ServerEvent = keyof ServerToClientEvents;
export type ServerPayload<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

/** Client → server events (payloads are validated, never trusted: typed as unknown). */
export const CLIENT_EVENTS = [
  'room:join',
  'room:leave',
  'chat:send',
  'chat:delete',
  'presence:heartbeat',
] as const;
export type ClientEvent = (typeof CLIENT_EVENTS)[number];
export type AckFn = (response: Ack) => void;
export type ClientToServerEvents = Record<ClientEvent, (payload: unknown, ack?: AckFn) => void>;

/** Server-side events between instances (none: everything goes through rooms and the adapter). */
export type InterServerEvents = Record<string, never>;

export interface SocketData {
  /** Absent for anonymous viewers. */
  user?: { id: string; username: string; displayName: string; role: 'admin' | 'user' };
  /** Token expiry (ms since epoch); sends after it are refused so a stolen old socket cannot talk forever. */
  authExpiresAt?: number;
  connectedAt: number;
}

export type AckError = { code: ErrorCode; message: string };
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: AckError };

/** Socket.IO room names: prefixed so they never collide with socket ids or each other. */
export const roomChannel = (roomId: string) => `room:${roomId}`;
export const userChannel = (userId: string) => `user:${userId}`;
export const ROOM_CHANNEL_PREFIX = 'room:';
