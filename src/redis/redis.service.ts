import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis, { Command, RedisOptions } from 'ioredis';
import type { WriteableStream } from 'ioredis/built/types';
import type { AppConfig } from '../config/app-config';
import { ServiceUnavailableError } from '../common/errors';

const TIMED_OUT = 'Command timed out';
/** What callers (and through them clients) are told; which store failed is logged here, not shown. */
const UNAVAILABLE = 'Service temporarily unavailable, try again shortly';

/**
 * ioredis client with a circuit breaker in front of it. While Redis is reachable but not
 * answering (a command hit commandTimeout), every caller would otherwise wait the full
 * timeout; with the breaker open they get a ServiceUnavailableError at once until a probe
 * PING answers again.
 */
class GuardedRedis extends Redis {
  refuse?: () => boolean;
  onTimeout?: () => void;

  override sendCommand(command: Command, stream?: WriteableStream): unknown {
    if (this.refuse?.()) {
      command.reject(new ServiceUnavailableError(UNAVAILABLE));
      return command.promise;
    }
    const result = super.sendCommand(command, stream);
    command.promise.catch((err: unknown) => {
      if (err instanceof Error && err.message === TIMED_OUT) this.onTimeout?.();
    });
    return result;
  }
}

/**
 * The Redis connection of this process when REDIS_URL is set. Commands fail fast while Redis is
 * away (no offline queue, bounded command timeout) so callers can degrade instead of hang.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  private readonly extra: Redis[] = [];
  private lastState = 'connecting';
  /** Breaker state: open = Redis recently failed to answer within commandTimeout. */
  private breakerOpen = false;
  private probeTimer?: NodeJS.Timeout;
  private probing = false;
  private closed = false;

  private constructor(
    readonly client: Redis,
    private readonly options: RedisOptions,
    private readonly url: string,
  ) {
    this.watch(client, 'main');
    if (client instanceof GuardedRedis) {
      // Only normal traffic is refused: the handshake of a reconnect (ready check) must go through.
      client.refuse = () => this.breakerOpen && !this.probing && client.status === 'ready';
      client.onTimeout = () => this.trip();
      // A fresh connection is a fresh start: let traffic through and find out.
      client.on('ready', () => this.closeBreaker());
    }
  }

  static async connect(config: AppConfig): Promise<RedisService> {
    const url = config.redis.url!;
    const options: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: config.redis.commandTimeoutMs,
      connectTimeout: 2000,
      keyPrefix: config.redis.keyPrefix || undefined,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      reconnectOnError: () => false,
      // Commands cut off by a dropped connection were already answered to their callers (as
      // failures, e.g. a rate limit that failed open). Re-sending them after the reconnect would
      // apply them a second time (double-counted rate limits), so they are dropped instead.
      autoResendUnfulfilledCommands: false,
    };
    const svc = new RedisService(new GuardedRedis(url, options), options, url);
    await svc.ready(svc.client, 10000);
    return svc;
  }

  /** Extra connections (pub/sub for the Socket.IO adapter); closed with this service. */
  async duplicate(purpose: string, overrides: RedisOptions = {}): Promise<Redis> {
    const c = new Redis(this.url, { ...this.options, ...overrides });
    this.watch(c, purpose);
    this.extra.push(c);
    await this.ready(c, 10000);
    return c;
  }

  get isReady(): boolean {
    return this.client.status === 'ready' && !this.breakerOpen;
  }

  /** Throws ServiceUnavailableError at once when the link is down, instead of waiting. */
  assertReady(): void {
    if (!this.isReady) throw new ServiceUnavailableError(UNAVAILABLE);
  }

  /** Redis stopped answering in time: fail fast from now on and probe in the background. */
  private trip(): void {
    if (this.breakerOpen || this.closed) return;
    this.breakerOpen = true;
    this.logger.warn(
      { commandTimeoutMs: this.options.commandTimeout },
      'Redis is not answering in time; failing fast until it does',
    );
    this.scheduleProbe();
  }

  private closeBreaker(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (!this.breakerOpen) return;
    this.breakerOpen = false;
    this.logger.log('Redis answers in time again');
  }

  private scheduleProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      this.probing = true;
      const pong = this.client.ping();
      this.probing = false;
      pong.then(
        () => this.closeBreaker(),
        () => {
          if (this.breakerOpen) this.scheduleProbe();
        },
      );
    }, 500);
    this.probeTimer.unref();
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  private async ready(c: Redis, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.connect(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(`Redis at ${redact(this.url)} did not answer within ${timeoutMs} ms`),
              ),
            timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      c.disconnect(false);
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private watch(c: Redis, name: string): void {
    c.on('error', (err: Error) => {
      if (this.lastState !== 'error')
        this.logger.warn(
          { connection: name, err: { message: err.message } },
          'Redis connection error',
        );
      this.lastState = 'error';
    });
    c.on('ready', () => {
      if (this.lastState === 'error')
        this.logger.log({ connection: name }, 'Redis connection restored');
      this.lastState = 'ready';
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    await Promise.allSettled(
      [...this.extra, this.client].map((c) => c.quit().catch(() => c.disconnect(false))),
    );
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
