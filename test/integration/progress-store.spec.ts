/**
 * One behaviour suite for every ProgressStore implementation: the in-process one always, the
 * Redis one when Redis answers (a unique key prefix per run).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { isUnavailableError } from '../../src/common/errors';
import { loadConfig } from '../../src/config/app-config';
import { RedisService } from '../../src/redis/redis.service';
import { MemoryProgressStore } from '../../src/videos/memory-progress.store';
import { PlaybackProgress, ProgressStore } from '../../src/videos/progress.store';
import {
  PROGRESS_TTL_MS,
  progressKey,
  RedisProgressStore,
} from '../../src/videos/redis-progress.store';
import { describeWithServices } from '../helpers/services';

const at = (iso: string, positionSec: number, paused = false): PlaybackProgress => ({
  positionSec,
  paused,
  updatedAt: new Date(iso),
});

function behavesLikeAProgressStore(make: () => ProgressStore): void {
  let store: ProgressStore;
  let user: string;
  let video: string;
  beforeEach(() => {
    store = make();
    user = randomUUID();
    video = randomUUID();
  });

  it('has nothing for a viewer who never saved', async () => {
    expect(await store.get(user, video)).toBeNull();
  });

  it('returns what was saved, fractional seconds and paused flag included', async () => {
    expect(await store.save(user, video, at('2026-11-21T12:00:00.123Z', 73.25, true))).toBe(true);
    expect(await store.get(user, video)).toEqual(at('2026-11-21T12:00:00.123Z', 73.25, true));
  });

  it('lets a newer write replace an older one, and ignores an older one arriving late', async () => {
    await store.save(user, video, at('2026-11-21T12:00:10.000Z', 10));
    expect(await store.save(user, video, at('2026-11-21T12:00:20.000Z', 20, true))).toBe(true);
    expect(await store.save(user, video, at('2026-11-21T12:00:15.000Z', 15))).toBe(false);
    expect(await store.get(user, video)).toEqual(at('2026-11-21T12:00:20.000Z', 20, true));
  });

  it('lets a write with the same timestamp replace the stored one (arrival order)', async () => {
    await store.save(user, video, at('2026-11-21T12:00:10.000Z', 10));
    expect(await store.save(user, video, at('2026-11-21T12:00:10.000Z', 11))).toBe(true);
    expect((await store.get(user, video))?.positionSec).toBe(11);
  });

  it('keeps viewers and videos apart', async () => {
    const otherUser = randomUUID();
    const otherVideo = randomUUID();
    await store.save(user, video, at('2026-11-21T12:00:00.000Z', 1));
    await store.save(user, otherVideo, at('2026-11-21T12:00:00.000Z', 2));
    await store.save(otherUser, video, at('2026-11-21T12:00:00.000Z', 3));
    expect((await store.get(user, video))?.positionSec).toBe(1);
    expect((await store.get(user, otherVideo))?.positionSec).toBe(2);
    expect((await store.get(otherUser, video))?.positionSec).toBe(3);
    expect(await store.get(otherUser, otherVideo)).toBeNull();
  });

  it('ends with the newest of many concurrent writes sent in shuffled order', async () => {
    const base = Date.parse('2026-11-21T12:00:00.000Z');
    const writes = Array.from({ length: 60 }, (_, i) => ({
      positionSec: i,
      paused: i % 2 === 0,
      updatedAt: new Date(base + i * 7),
    }));
    for (let i = writes.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [writes[i], writes[j]] = [writes[j]!, writes[i]!];
    }
    await Promise.all(writes.map((w) => store.save(user, video, w)));
    expect(await store.get(user, video)).toEqual({
      positionSec: 59,
      paused: false,
      updatedAt: new Date(base + 59 * 7),
    });
  });

  it('does not let a caller mutate what is stored through the returned object', async () => {
    const p = at('2026-11-21T12:00:00.000Z', 5);
    await store.save(user, video, p);
    p.updatedAt.setFullYear(2099);
    const got = (await store.get(user, video))!;
    got.updatedAt.setFullYear(2000);
    expect((await store.get(user, video))?.updatedAt.toISOString()).toBe(
      '2026-11-21T12:00:00.000Z',
    );
  });
}

describe('MemoryProgressStore', () => {
  behavesLikeAProgressStore(() => new MemoryProgressStore());
});

describeWithServices('RedisProgressStore', () => {
  const prefix = `t${randomBytes(5).toString('hex')}:`;
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  let redis: RedisService;
  let raw: Redis;

  beforeAll(async () => {
    redis = await RedisService.connect(
      loadConfig({ NODE_ENV: 'test', REDIS_URL: url, REDIS_KEY_PREFIX: prefix }),
    );
    raw = new Redis(url);
  });
  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length) await raw.del(...keys);
    await raw.quit();
    await redis.onApplicationShutdown();
  });

  behavesLikeAProgressStore(() => new RedisProgressStore(redis));

  it('uses one hash per user, player:status:<userId>, one JSON field per video, with a TTL', async () => {
    const store = new RedisProgressStore(redis);
    const user = randomUUID();
    const video = randomUUID();
    await store.save(user, video, at('2026-11-21T12:00:00.500Z', 42.5, true));
    const key = `${prefix}${progressKey(user)}`;
    expect(key).toBe(`${prefix}player:status:${user}`);
    expect(await raw.type(key)).toBe('hash');
    expect(JSON.parse((await raw.hget(key, video))!)).toEqual({
      positionSec: 42.5,
      paused: true,
      updatedAt: '2026-11-21T12:00:00.500Z',
    });
    const ttl = await raw.pttl(key);
    expect(ttl).toBeGreaterThan(PROGRESS_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(PROGRESS_TTL_MS);
  });

  it('treats an unreadable entry as no progress and lets the next write replace it', async () => {
    const store = new RedisProgressStore(redis);
    const user = randomUUID();
    const video = randomUUID();
    await raw.hset(`${prefix}${progressKey(user)}`, video, '{not json');
    expect(await store.get(user, video)).toBeNull();
    expect(await store.save(user, video, at('2026-11-21T12:00:00.000Z', 1))).toBe(true);
    expect((await store.get(user, video))?.positionSec).toBe(1);
  });

  it('fails fast with a 503-class error while Redis is unreachable', async () => {
    const down = await RedisService.connect(
      loadConfig({ NODE_ENV: 'test', REDIS_URL: url, REDIS_KEY_PREFIX: prefix }),
    );
    const store = new RedisProgressStore(down);
    down.client.disconnect(false);
    for (const attempt of [
      () => store.get(randomUUID(), randomUUID()),
      () => store.save(randomUUID(), randomUUID(), at('2026-11-21T12:00:00.000Z', 1)),
    ]) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      // Mapped to 503 SERVICE_UNAVAILABLE by the HTTP filter.
      expect(isUnavailableError(err)).toBe(true);
    }
    await down.onApplicationShutdown();
  });
});
