import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { BroadcastOperator, Namespace, Socket } from 'socket.io';
import {
  PRESENCE_CHANGED,
  PresenceChangedEvent,
  ROOM_CLOSED,
  ROOM_USER_BANNED,
  RoomClosedEvent,
  RoomUserBannedEvent,
  STREAM_LIVE,
  STREAM_OFFLINE,
  StreamStateEvent,
  USER_REVOKED,
  UserRevokedEvent,
} from '../common/ports';
import { MetricsService } from '../metrics/metrics.service';
import {
  ChatMessageView,
  ClientToServerEvents,
  InterServerEvents,
  roomChannel,
  ServerEvent,
  ServerPayload,
  ServerToClientEvents,
  SocketData,
  userChannel,
} from './chat.events';

export type ChatNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type ChatSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
type Target = BroadcastOperator<ServerToClientEvents, SocketData> | ChatSocket;

/**
 * The only code that talks to the /chat Socket.IO namespace on the way out. Broadcasts go
 * through the namespace's adapter, so with REDIS_URL they reach the sockets of every instance;
 * `local` ones (presence updates, shutdown) stay on this instance on purpose.
 * Domain events (rooms, streams, accounts) arrive here with @OnEvent on the instance that
 * handled the change and leave as one broadcast each.
 */
@Injectable()
export class ChatBroadcaster {
  private readonly log = new Logger('ChatBroadcaster');
  private nsp?: ChatNamespace;

  constructor(private readonly metrics: MetricsService) {}

  bind(nsp: ChatNamespace): void {
    this.nsp = nsp;
  }

  /** The one emit helper: every server → client event goes through here and is counted. */
  emit<E extends ServerEvent>(target: Target, event: E, payload: ServerPayload<E>): void {
    (target.emit as (ev: E, p: ServerPayload<E>) => boolean)(event, payload);
    this.metrics.wsEventSent(event);
  }

  messageCreated(message: ChatMessageView): void {
    if (this.nsp) this.emit(this.nsp.to(roomChannel(message.roomId)), 'chat:message', message);
  }

  messageHidden(id: string, roomId: string): void {
    if (this.nsp) this.emit(this.nsp.to(roomChannel(roomId)), 'chat:deleted', { id, roomId });
  }

  /** Every instance computes and sends its own (coalesced) presence updates to its own sockets. */
  @OnEvent(PRESENCE_CHANGED)
  presenceChanged({ roomId, onlineCount }: PresenceChangedEvent): void {
    if (this.nsp)
      this.emit(this.nsp.local.to(roomChannel(roomId)), 'presence:update', { roomId, onlineCount });
  }

  @OnEvent(STREAM_LIVE)
  streamLive(e: StreamStateEvent): void {
    this.guard('stream:live', () => {
      if (this.nsp && e.roomId)
        this.emit(this.nsp.to(roomChannel(e.roomId)), 'stream:live', {
          streamId: e.streamId,
          roomId: e.roomId,
        });
    });
  }

  @OnEvent(STREAM_OFFLINE)
  streamOffline(e: StreamStateEvent): void {
    this.guard('stream:offline', () => {
      if (this.nsp && e.roomId)
        this.emit(this.nsp.to(roomChannel(e.roomId)), 'stream:offline', {
          streamId: e.streamId,
          roomId: e.roomId,
        });
    });
  }

  /** Members hear room:closed, then leave the Socket.IO room on every instance (their presence goes with it). */
  @OnEvent(ROOM_CLOSED)
  roomClosed(e: RoomClosedEvent): void {
    this.guard('room:closed', () => {
      if (!this.nsp) return;
      const channel = roomChannel(e.roomId);
      this.emit(this.nsp.to(channel), 'room:closed', { roomId: e.roomId });
      this.nsp.in(channel).socketsLeave(channel);
    });
  }

  @OnEvent(ROOM_USER_BANNED)
  userBanned(e: RoomUserBannedEvent): void {
    this.guard('chat:banned', () => {
      if (this.nsp)
        this.emit(this.nsp.to(userChannel(e.userId)), 'chat:banned', {
          roomId: e.roomId,
          until: e.until ? e.until.toISOString() : null,
        });
    });
  }

  /** A disabled or deleted account loses its open sockets at once, on every instance. */
  @OnEvent(USER_REVOKED)
  userRevoked(e: UserRevokedEvent): void {
    this.guard('user revoked', () => this.nsp?.in(userChannel(e.userId)).disconnectSockets(true));
  }

  /** Shutdown, step 1: tell this instance's clients to reconnect elsewhere. */
  shutdownLocal(): void {
    if (this.nsp) this.emit(this.nsp.local, 'server:shutdown', {});
  }

  /**
   * Shutdown, last step: close this instance's connections. They close gracefully (queued
   * packets such as server:shutdown are flushed first); whatever is still open after `graceMs`
   * (a dead peer, a handshake that never joined /chat) is dropped.
   */
  async disconnectLocal(graceMs: number): Promise<void> {
    if (!this.nsp) return;
    this.nsp.local.disconnectSockets(true);
    const engine = this.nsp.server.engine;
    const deadline = Date.now() + graceMs;
    while (engine.clientsCount > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    engine.close();
  }

  /**
   * With the Redis adapter, joining a room subscribes this instance to the room's channel.
   * A PING on the subscriber connection returns only after Redis processed that subscription,
   * so once this resolves no broadcast to the room can pass this instance by.
   */
  async subscriptionsSettled(): Promise<void> {
    const sub = (this.nsp?.adapter as { subClient?: { ping?: () => Promise<unknown> } } | undefined)
      ?.subClient;
    if (typeof sub?.ping !== 'function') return;
    try {
      await sub.ping();
    } catch {
      // Redis away: the join still stands; broadcasts resume when the link is back.
    }
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.metrics.wsError('other');
      this.log.error({ event: what, err }, 'Could not broadcast');
    }
  }
}
