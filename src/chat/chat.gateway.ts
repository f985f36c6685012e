import { BeforeApplicationShutdown, Logger, OnModuleInit, UseInterceptors } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { DomainError, isUnavailableError, UnauthorizedError } from '../common/errors';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { MetricsService } from '../metrics/metrics.service';
import { anonymousViewerId, PresenceService, PresenceViewer } from '../presence/presence.service';
import { RoomsService } from '../rooms/rooms.service';
import { ChatBroadcaster, ChatNamespace, ChatSocket } from './chat.broadcaster';
import { DeleteMessagePayload, JoinRoomPayload, RoomPayload, SendMessagePayload } from './chat.dto';
import {
  Ack,
  AckError,
  CLIENT_EVENTS,
  ClientEvent,
  ChatMessageView,
  ROOM_CHANNEL_PREFIX,
  roomChannel,
  SocketData,
  userChannel,
} from './chat.events';
import { ChatService } from './chat.service';
import { EventBudget } from './event-budget';
import { InFlightHandlers } from './in-flight';
import { SocketAuthenticator } from './socket-auth';
import { WsEventTimingInterceptor } from './ws-event-timing.interceptor';
import { validatePayload } from './ws-validation';

const NAMESPACE = '/chat';
/** Rooms one connection may be in at once (each costs memory here and a subscription in Redis). */
const MAX_ROOMS_PER_SOCKET = 50;
/** Longest a shutdown waits for handlers that are already running. */
const DRAIN_WAIT_MS = 5000;
/** Longest a shutdown waits for connections to close cleanly before dropping them. */
const CLOSE_GRACE_MS = 1000;

const fail = (code: AckError['code'], message: string): Ack<never> => ({
  ok: false,
  error: { code, message },
});

type SocketUser = NonNullable<SocketData['user']>;

/**
 * The /chat namespace: a thin, typed transport. Handshakes go through SocketAuthenticator (the
 * same TokenService.verify as HTTP); each event spends the socket's EventBudget, is validated,
 * calls the services and is answered with acks `{ok:true,…}` / `{ok:false,error:{code,message}}`.
 * Handlers never throw: whatever goes wrong becomes an error ack, so a bad client costs itself
 * an error and nothing else. Handler latency is recorded by WsEventTimingInterceptor.
 */
@WebSocketGateway({ namespace: NAMESPACE })
@UseInterceptors(WsEventTimingInterceptor)
export class ChatGateway
  implements
    OnGatewayInit<ChatNamespace>,
    OnGatewayConnection<ChatSocket>,
    OnModuleInit,
    BeforeApplicationShutdown
{
  private readonly log = new Logger('ChatGateway');
  @WebSocketServer() private readonly nsp!: ChatNamespace;
  private readonly budget = new EventBudget();
  private readonly inFlight = new InFlightHandlers(this.log);
  private draining?: Promise<void>;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly auth: SocketAuthenticator,
    private readonly chat: ChatService,
    private readonly rooms: RoomsService,
    private readonly presence: PresenceService,
    private readonly out: ChatBroadcaster,
    private readonly metrics: MetricsService,
    private readonly lifecycle: LifecycleService,
  ) {}

  onModuleInit(): void {
    this.lifecycle.onDrain(() => this.drain());
  }

  afterInit(nsp: ChatNamespace): void {
    this.out.bind(nsp);
    nsp.use((socket, next) => void this.auth.authenticate(socket, next, !!this.draining));
    // Leaving a room for any reason (room:leave, the room closing on any instance, disconnect)
    // goes through the adapter, so presence follows Socket.IO membership exactly.
    nsp.adapter.on('leave-room', (room: unknown, sid: unknown) => {
      if (
        typeof room === 'string' &&
        typeof sid === 'string' &&
        room.startsWith(ROOM_CHANNEL_PREFIX)
      ) {
        void this.presence.socketLeft(room.slice(ROOM_CHANNEL_PREFIX.length), sid);
      }
    });
    // Only /chat is served; sockets on the main namespace would just hold a connection open.
    nsp.server.of('/').use((_socket, next) => next(new Error('unknown namespace')));
  }

  handleConnection(socket: ChatSocket): void {
    this.metrics.wsConnected(NAMESPACE);
    const user = socket.data.user;
    if (user) settle(socket.join(userChannel(user.id)));
    socket.on('disconnect', (reason: string, description?: unknown) => {
      this.budget.forget(socket.id);
      this.metrics.wsDisconnected(NAMESPACE, reason, (Date.now() - socket.data.connectedAt) / 1000);
      if (/payload|too large/i.test(errorText(description)))
        this.metrics.wsError('payload_too_large');
    });
    // Unknown events: counted as "other" and answered, so a client waiting on an ack is not left hanging.
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && (CLIENT_EVENTS as readonly string[]).includes(event)) return;
      this.metrics.wsEventReceived('other');
      this.metrics.wsError('validation');
      const ack = args[args.length - 1];
      if (typeof ack === 'function') (ack as (a: Ack) => void)(fail('NOT_FOUND', 'unknown event'));
    });
  }

  @SubscribeMessage('room:join')
  join(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() payload: unknown,
  ): Promise<Ack<{ onlineCount: number }>> {
    return this.handle('room:join', socket, payload, JoinRoomPayload, async (p) => {
      if (this.draining)
        return fail('SERVICE_UNAVAILABLE', 'server is shutting down; reconnect and join again');
      const room = await this.rooms.requireOpen(p.roomId);
      const channel = roomChannel(room.id);
      if (
        !socket.rooms.has(channel) &&
        [...socket.rooms].filter((r) => r.startsWith(ROOM_CHANNEL_PREFIX)).length >=
          MAX_ROOMS_PER_SOCKET
      ) {
        return fail(
          'RATE_LIMITED',
          `a connection may be in at most ${MAX_ROOMS_PER_SOCKET} rooms; leave one first`,
        );
      }
      await socket.join(channel);
      // The socket may have gone while the room was being read; then there is nobody to count.
      if (!socket.connected) return fail('NOT_IN_ROOM', 'disconnected');
      const user = socket.data.user;
      const viewer: PresenceViewer = user
        ? { viewerId: user.id, displayName: user.displayName }
        : { viewerId: anonymousViewerId(p.viewerId ?? socket.id), displayName: null };
      const onlineCount = await this.presence.socketJoined(room.id, socket.id, viewer);
      await this.out.subscriptionsSettled();
      return { ok: true, onlineCount };
    });
  }

  @SubscribeMessage('room:leave')
  leave(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown): Promise<Ack> {
    return this.handle('room:leave', socket, payload, RoomPayload, async (p) => {
      await this.presence.socketLeft(p.roomId, socket.id);
      await socket.leave(roomChannel(p.roomId));
      return { ok: true };
    });
  }

  @SubscribeMessage('chat:send')
  send(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() payload: unknown,
  ): Promise<Ack<{ message: ChatMessageView }>> {
    return this.handle(
      'chat:send',
      socket,
      payload,
      SendMessagePayload,
      async (p, user) => {
        if (this.draining)
          return fail(
            'SERVICE_UNAVAILABLE',
            'server is shutting down; reconnect and send again (same clientMsgId)',
          );
        if (!socket.rooms.has(roomChannel(p.roomId)))
          return fail('NOT_IN_ROOM', 'join the room before sending to it');
        const { message, duplicate } = await this.chat.send(
          signedIn(user),
          p.roomId,
          p.text,
          p.clientMsgId,
        );
        if (!duplicate) {
          this.out.messageCreated(message);
          this.metrics.chatDelivered();
        }
        return { ok: true, message };
      },
      { signedIn: 'sign in to send messages', countAsChat: true },
    );
  }

  @SubscribeMessage('chat:delete')
  remove(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() payload: unknown,
  ): Promise<Ack<{ id: string; roomId: string }>> {
    return this.handle(
      'chat:delete',
      socket,
      payload,
      DeleteMessagePayload,
      async (p, user) => {
        const r = await this.chat.hide(signedIn(user), p.messageId);
        if (r.changed) this.out.messageHidden(r.id, r.roomId);
        return { ok: true, id: r.id, roomId: r.roomId };
      },
      { signedIn: 'sign in to delete messages' },
    );
  }

  @SubscribeMessage('presence:heartbeat')
  heartbeat(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown): Promise<Ack> {
    return this.handle('presence:heartbeat', socket, payload, RoomPayload, async (p) => {
      if (
        !socket.rooms.has(roomChannel(p.roomId)) ||
        !(await this.presence.socketHeartbeat(p.roomId, socket.id))
      ) {
        return fail('NOT_IN_ROOM', 'join the room first');
      }
      return { ok: true };
    });
  }

  /** Graceful shutdown (SIGTERM via LifecycleService, or app.close()); runs once. */
  drain(): Promise<void> {
    this.draining ??= this.runDrain();
    return this.draining;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.drain();
  }

  private async runDrain(): Promise<void> {
    // 1. Tell this instance's clients to go elsewhere; new sessions are already refused.
    this.out.shutdownLocal();
    // 2. Let running handlers finish, so every message that was accepted gets its ack.
    await this.inFlight.whenIdle(
      Math.min(DRAIN_WAIT_MS, Math.floor(this.config.shutdownTimeoutMs / 2)),
    );
    // 3. This instance stops holding anyone online (before Redis closes).
    await this.presence.releaseAll();
    // 4. Close the connections.
    await this.out.disconnectLocal(CLOSE_GRACE_MS);
  }

  /**
   * Runs one inbound event: budget, optional sign-in, validation, the handler, the ack, and the
   * counters of all of it (its latency is the interceptor's). Tracked in flight for shutdown.
   */
  private async handle<P extends object, R extends object>(
    event: ClientEvent,
    socket: ChatSocket,
    payload: unknown,
    cls: new () => P,
    fn: (p: P, user: SocketUser | undefined) => Promise<Ack<R>>,
    opts: { signedIn?: string; countAsChat?: boolean } = {},
  ): Promise<Ack<R>> {
    this.metrics.wsEventReceived(event);
    const ack = await this.inFlight.track(() =>
      this.run(socket, payload, cls, fn, opts).catch((err: unknown) => this.errorAck(event, err)),
    );
    if (!ack.ok) {
      if (ack.error.code === 'RATE_LIMITED') this.metrics.rateLimited('ws');
      if (opts.countAsChat) this.metrics.chatRejected();
    }
    return ack;
  }

  private async run<P extends object, R extends object>(
    socket: ChatSocket,
    payload: unknown,
    cls: new () => P,
    fn: (p: P, user: SocketUser | undefined) => Promise<Ack<R>>,
    opts: { signedIn?: string },
  ): Promise<Ack<R>> {
    if (!this.budget.take(socket))
      return fail('RATE_LIMITED', 'too many events on this connection, slow down');
    const user = socket.data.user;
    if (opts.signedIn !== undefined) {
      if (!user) return fail('UNAUTHORIZED', opts.signedIn);
      if (socket.data.authExpiresAt !== undefined && Date.now() >= socket.data.authExpiresAt)
        return fail('UNAUTHORIZED', 'token expired; reconnect with a fresh token');
    }
    const v = validatePayload(cls, payload);
    if (!v.ok) {
      this.metrics.wsError('validation');
      return v;
    }
    return fn(v.value, user);
  }

  private errorAck(event: ClientEvent, err: unknown): Ack<never> {
    if (err instanceof DomainError) return fail(err.code, err.message);
    if (isUnavailableError(err)) {
      this.metrics.wsError('handler');
      return fail('SERVICE_UNAVAILABLE', 'service temporarily unavailable, try again shortly');
    }
    this.metrics.wsError('handler');
    this.log.error({ msg: 'Socket handler failed', event, err });
    return fail('INTERNAL', 'internal error');
  }
}

/** For handlers behind `signedIn` (already checked in run(); this keeps the types honest). */
function signedIn(user: SocketUser | undefined): SocketUser {
  if (!user) throw new UnauthorizedError('sign in first');
  return user;
}

/** socket.join/leave return a promise with some adapters; a failure there must not become an unhandled rejection. */
function settle(r: void | Promise<void>): void {
  if (r instanceof Promise) r.catch(() => undefined);
}

function errorText(d: unknown): string {
  if (d instanceof Error) return d.message;
  if (d && typeof d === 'object' && 'description' in d) return errorText(d.description);
  return typeof d === 'string' ? d : '';
}
