import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/app-config';
import { ServiceUnavailableError } from '../common/errors';

/**
 * The Redis connection of this process when REDIS_URL is set. Commands fail fast while Redis is
 * away (no offline queue, bounded command timeout) so callers can degrade instead of hang.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly extra: Redis[] = [];
  private lastState = 'connecting';

  private constructor(
    readonly client: Redis,
    private readonly options: RedisOptions,
    private readonly url: string,
  ) {
    this.watch(client, 'main');
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
    };
    const svc = new RedisService(new Redis(url, options), options, url);
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
    return this.client.status === 'ready';
  }

  /** Throws ServiceUnavailableError at once when the link is down, instead of waiting. */
  assertReady(): void {
    if (!this.isReady) throw new ServiceUnavailableError('Redis is unavailable');
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
          timer = setTimeout(() => reject(new Error(`Redis at ${redact(this.url)} did not answer within ${timeoutMs} ms`)), timeoutMs);
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
      if (this.lastState !== 'error') this.logger.warn({ connection: name, err: { message: err.message } }, 'Redis connection error');
      this.lastState = 'error';
    });
    c.on('ready', () => {
      if (this.lastState === 'error') this.logger.log({ connection: name }, 'Redis connection restored');
      this.lastState = 'ready';
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.extra, this.client].map((c) => c.quit().catch(() => c.disconnect(false))));
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
