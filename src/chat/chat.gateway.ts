import { BeforeApplicationShutdown, Logger, OnModuleInit } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import * as jwt from 'jsonwebtoken';
import type { ExtendedError } from 'socket.io';
import { TokenService } from '../auth/token.service';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { DomainError, isUnavailableError, UnauthorizedError } from '../common/errors';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { MetricsService, WsEvent } from '../metrics/metrics.service';
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
import { validatePayload } from './ws-validation';

const NAMESPACE = '/chat';
/** Rooms one connection may be in at once (each costs memory here and a subscription in Redis). */
const MAX_ROOMS_PER_SOCKET = 50;
/** Per-connection event budget (token bucket): bursts of 20, 10 events/s sustained. */
const BUCKET_SIZE = 20;
const BUCKET_REFILL_PER_SEC = 10;
/** Longest a shutdown waits for handlers that are already running. */
const DRAIN_WAIT_MS = 5000;
/** Longest a shutdown waits for connections to close cleanly before dropping them. */
const CLOSE_GRACE_MS = 1000;

const fail = (code: AckError['code'], message: string): Ack<never> => ({
  ok: false,
  error: { code, message },
});

type SocketUser = NonNullable<SocketData['user']>;

interface Bucket {
  tokens: number;
  at: number;
}

const TOKEN_QUERY_KEYS = ['token', 'access_token', 'auth', 'jwt', 'authorization'];

/**
 * The /chat namespace: a thin, typed transport. It authenticates at connect with the same
 * TokenService.verify as HTTP, validates every payload, calls the services and answers with
 * acks `{ok:true,…}` / `{ok:false,error:{code,message}}`. Handlers never throw: whatever goes
 * wrong becomes an error ack, so a bad client costs itself an error and nothing else.
 */
@WebSocketGateway({ namespace: NAMESPACE })
export class ChatGateway
  implements
    OnGatewayInit<ChatNamespace>,
    OnGatewayConnection<ChatSocket>,
    OnModuleInit,
    BeforeApplicationShutdown
{
  private readonly log = new Logger('ChatGateway');
  @WebSocketServer() private readonly nsp!: ChatNamespace;
  private readonly buckets = new Map<string, Bucket>();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private draining?: Promise<void>;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly tokens: TokenService,
    private readonly chat: ChatService,
    private readonly rooms: RoomsService,
    private readonly presence: PresenceService,
    private readonly out: ChatBroadcaster,
    private readonly metrics: MetricsService,
    private readonly lifecycle: LifecycleService,
  ) {}

  onModuleInit(): void {
    this.lifecycle.onDrain(() => this.drain());
    this.presence.onCountChanged((roomId, n) => this.out.presenceChanged(roomId, n));
  }

  afterInit(nsp: ChatNamespace): void {
    this.out.bind(nsp);
    nsp.use((socket, next) => void this.authenticate(socket, next));
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
      this.buckets.delete(socket.id);
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
    await this.whenIdle(Math.min(DRAIN_WAIT_MS, Math.floor(this.config.shutdownTimeoutMs / 2)));
    // 3. This instance stops holding anyone online (before Redis closes).
    await this.presence.releaseAll();
    // 4. Close the connections.
    await this.out.disconnectLocal(CLOSE_GRACE_MS);
  }

  private whenIdle(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({
          msg: 'Shutdown: socket handlers still running after the wait',
          inFlight: this.inFlight,
        });
        resolve();
      }, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async authenticate(
    socket: ChatSocket,
    next: (err?: ExtendedError) => void,
  ): Promise<void> {
    const data: SocketData = { connectedAt: Date.now() };
    socket.data = data;
    if (this.draining || this.lifecycle.shuttingDown)
      return next(new Error('server is shutting down'));
    // A token in the query string would end up in proxy and access logs: refuse it outright
    // rather than silently connecting the client as anonymous.
    const query = socket.handshake.query as Record<string, unknown>;
    if (TOKEN_QUERY_KEYS.some((k) => query[k] !== undefined)) return this.refuse(next);
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (token === undefined || token === null) return next(); // anonymous viewer
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096)
      return this.refuse(next);
    try {
      const user = await this.tokens.verify(token);
      const claims = jwt.decode(token);
      data.user = {
        id: user.id,
        username: user.username,
        displayName: user.displayName,
        role: user.role,
      };
      if (claims && typeof claims === 'object' && typeof claims.exp === 'number')
        data.authExpiresAt = claims.exp * 1000;
      next();
    } catch (err) {
      if (isUnavailableError(err)) {
        this.metrics.wsError('other');
        return next(new Error('service unavailable'));
      }
      this.refuse(next);
    }
  }

  private refuse(next: (err?: ExtendedError) => void): void {
    this.metrics.wsError('auth');
    next(new Error('unauthorized'));
  }

  /**
   * Runs one inbound event: budget, optional sign-in, validation, the handler, the ack — and the
   * metrics of all of it. Also tracks in-flight handlers for shutdown.
   */
  private async handle<P extends object, R extends object>(
    event: ClientEvent,
    socket: ChatSocket,
    payload: unknown,
    cls: new () => P,
    fn: (p: P, user: SocketUser | undefined) => Promise<Ack<R>>,
    opts: { signedIn?: string; countAsChat?: boolean } = {},
  ): Promise<Ack<R>> {
    const label: WsEvent = this.metrics.wsEventReceived(event);
    const started = process.hrtime.bigint();
    this.inFlight++;
    let ack: Ack<R>;
    try {
      ack = await this.run(socket, payload, cls, fn, opts);
    } catch (err) {
      ack = this.errorAck(event, err);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.idleWaiters.length)
        for (const w of this.idleWaiters.splice(0)) w();
      this.metrics.wsEventHandled(label, Number(process.hrtime.bigint() - started) / 1e9);
    }
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
    if (!this.takeToken(socket))
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

  private takeToken(socket: ChatSocket): boolean {
    const now = Date.now();
    const b = this.buckets.get(socket.id) ?? { tokens: BUCKET_SIZE, at: now };
    b.tokens = Math.min(BUCKET_SIZE, b.tokens + ((now - b.at) / 1000) * BUCKET_REFILL_PER_SEC);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    // A late event of a closed socket must not re-create its entry after 'disconnect' removed it.
    if (socket.connected) this.buckets.set(socket.id, b);
    return ok;
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
