import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { RateLimitStore, ThrottlerStorageRecord } from './rate-limit.store';

/** @nestjs/throttler's in-memory storage (one sweep interval, no timer per request). */
@Injectable()
export class MemoryRateLimitStore extends RateLimitStore implements OnModuleDestroy {
  private readonly inner = new ThrottlerStorageService();

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    // The library keeps one block flag per key across throttler names; scope keys by name so a
    // block under one limit never leaks into another (the Redis store behaves the same way).
    return this.inner.increment(`${throttlerName}:${key}`, ttl, limit, blockDuration, throttlerName);
  }

  onModuleDestroy(): void {
    this.inner.onApplicationShutdown();
  }
}
