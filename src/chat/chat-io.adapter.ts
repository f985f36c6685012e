import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { IncomingMessage } from 'node:http';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { MetricsService } from '../metrics/metrics.service';
import { RedisService } from '../redis/redis.service';
import { guardFireAndForget } from '../redis/fire-and-forget';
import { TokenBuckets } from '../common/token-buckets';

type AdapterFactory = ReturnType<typeof createShardedAdapter>;
/** The socket type of Nest's adapter (it ships its own copy of socket.io's typings). */
type AdapterSocket = Parameters<IoAdapter['bindMessageHandlers']>[0];

/**
 * May a browser page from `origin` open a socket? No Origin header (non-browser clients) and
 * same-host pages are allowed; otherwise the origin must be listed in CORS_ORIGINS ("*" = any).
 * This is the WebSocket counterpart of the HTTP CORS rule: browsers do not apply CORS to
 * WebSockets, so without it any site could open a socket with a visitor's cookies/session.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined || origin === '') return true;
  if (allowed.includes('*') || allowed.includes(origin.replace(/\/$/, ''))) return true;
  let originHost: string;
  try {
    originHost = new URL(origin).hostname.toLowerCase();
  } catch {
    return false;
  }
  // Behind nginx, Host is the public host name (proxy_set_header Host $host, without the port).
  const reqHost = (host ?? '')
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1');
  return reqHost !== '' && (originHost === reqHost || originHost === `[${reqHost}]`);
}

/**
 * Socket.IO server settings for OnAir: bounded frames (WS_MAX_PAYLOAD_BYTES), no per-message
 * compression (CPU for little gain on short chat frames), WebSocket first with long-polling as
 * fallback, Origin checks at the handshake, refusing new sessions while draining, and — with
 * REDIS_URL — the sharded Redis adapter so every instance shares rooms and broadcasts.
 */
export class ChatIoAdapter extends IoAdapter {
  private readonly log = new Logger('ChatIoAdapter');
  /** New Socket.IO sessions per client IP on this instance (WS_HANDSHAKE_LIMIT). */
  private readonly handshakes: TokenBuckets;

  private constructor(
    app: INestApplication,
    private readonly config: AppConfig,
    private readonly lifecycle: LifecycleService,
    private readonly metrics: MetricsService,
    private readonly redisAdapter?: AdapterFactory,
  ) {
    super(app);
    this.handshakes = new TokenBuckets(config.wsHandshakes.burst, config.wsHandshakes.perSec);
  }

  /** Async because the adapter's Redis connections must be up before the gateway starts. */
  static async create(app: INestApplication, config: AppConfig): Promise<ChatIoAdapter> {
    const lifecycle = app.get(LifecycleService);
    const metrics = app.get(MetricsService);
    if (!config.redis.url) return new ChatIoAdapter(app, config, lifecycle, metrics);
    const redis = app.get(RedisService);
    const onError = (err: unknown) =>
      metrics.wsError(
        err instanceof Error && /payload/i.test(err.message) ? 'payload_too_large' : 'other',
      );
    // Pub/sub channels are not keys, so ioredis would not prefix them: the prefix goes into the
    // channel name instead (below) and the connections get none, to avoid prefixing twice.
    const pub = await redis.duplicate('socket.io-pub', { keyPrefix: undefined });
    // The subscriber queues (re)subscriptions while Redis is briefly away instead of dropping them.
    const sub = await redis.duplicate('socket.io-sub', {
      keyPrefix: undefined,
      enableOfflineQueue: true,
    });
    guardFireAndForget(pub, ['publish', 'spublish'], onError);
    guardFireAndForget(
      sub,
      ['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe'],
      onError,
    );
    const factory = createShardedAdapter(pub, sub, {
      channelPrefix: `${config.redis.keyPrefix}socket.io`,
      // One channel per room: an instance only receives broadcasts of rooms it has members in.
      subscriptionMode: 'dynamic',
    });
    return new ChatIoAdapter(app, config, lifecycle, metrics, factory);
  }

  /** The peer address, or the first X-Forwarded-For hop when TRUST_PROXY=true (our own proxy sets it). */
  private clientIp(req: IncomingMessage): string {
    if (this.config.trustProxy === true) {
      const xff = req.headers['x-forwarded-for'];
      const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
      if (first) return first;
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  /**
   * One plain listener per event and socket. Nest's default builds an RxJS pipeline per socket and
   * per handler that lives as long as the socket (~25 KB each, bench/README.md F2); here the only
   * Observable is the short-lived one around each handler's result. Same delivery rules: a result
   * `{event, data}` is emitted, any other non-nil result is the ack, manual acks are left alone.
   */
  override bindMessageHandlers(
    socket: AdapterSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(String(message), (...args: unknown[]) => {
        const { data, ack } = this.mapPayload(args.length === 1 ? args[0] : args) as {
          data: unknown;
          ack?: unknown;
        };
        let result$: Observable<unknown>;
        try {
          result$ = transform(callback(data, ack));
        } catch {
          return; // Nest's exception handler has already answered and counted it
        }
        result$.subscribe({
          next: (response) => {
            if (response === null || response === undefined) return;
            const r = response as { event?: string; data?: unknown };
            if (r.event) {
              socket.emit(r.event, r.data);
              return;
            }
            if (!isAckHandledManually && typeof ack === 'function')
              (ack as (v: unknown) => void)(response);
          },
          error: () => undefined,
        });
      });
    }
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const allowed = this.config.corsOrigins;
    const opts: Partial<ServerOptions> = {
      ...options,
      path: '/socket.io',
      serveClient: false,
      transports: ['websocket', 'polling'],
      perMessageDeflate: false,
      httpCompression: false,
      maxHttpBufferSize: this.config.wsMaxPayloadBytes,
      connectTimeout: 10000,
      cors: {
        origin: (origin: string | undefined, cb: (err: Error | null, allow?: boolean) => void) =>
          cb(null, origin === undefined || allowed.includes('*') || allowed.includes(origin)),
        credentials: !allowed.includes('*'),
      },
      allowRequest: (
        req: IncomingMessage,
        cb: (err: string | null | undefined, success: boolean) => void,
      ) => {
        if (this.lifecycle.shuttingDown) return cb('server is shutting down', false);
        if (!this.handshakes.take(this.clientIp(req))) {
          this.metrics.wsError('rate_limited');
          return cb('too many connections', false);
        }
        const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
        if (originAllowed(origin, req.headers.host, allowed)) return cb(null, true);
        this.metrics.wsError('origin');
        cb('origin not allowed', false);
      },
    };
    // IoAdapter types its server as any; it is a socket.io Server.
    const server = super.createIOServer(port, opts) as unknown as Server;
    if (this.redisAdapter) server.adapter(this.redisAdapter);
    server.engine.on('connection_error', (err: { code?: number; message?: string }) => {
      if (err.code !== 4)
        this.log.debug({ msg: 'Socket.IO connection error', code: err.code, message: err.message });
    });
    return server;
  }
}
