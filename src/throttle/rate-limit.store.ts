import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

/**
 * Counter store behind every rate limit (HTTP throttler, login attempts, chat sends).
 * Bound once: in-process when embedded, Redis when clustered so all replicas share one limit.
 * ttl and blockDuration are milliseconds, as @nestjs/throttler passes them.
 */
export abstract class RateLimitStore implements ThrottlerStorage {
  abstract increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord>;
}

export type { ThrottlerStorageRecord };
