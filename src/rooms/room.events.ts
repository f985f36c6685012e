/**
 * Domain events of rooms, published with EventEmitter2 on the instance that handled the change.
 * The chat gateway turns them into Socket.IO broadcasts, which the Redis adapter fans out to
 * every instance.
 */
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
