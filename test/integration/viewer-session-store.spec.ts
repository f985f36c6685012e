import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/app-config';
import { MemoryViewerSessionStore } from '../../src/playback/memory-viewer-session.store';
import { RedisViewerSessionStore } from '../../src/playback/redis-viewer-session.store';
import type { ViewerSessionStore } from '../../src/playback/viewer-session.store';
import { RedisService } from '../../src/redis/redis.service';
import { describeWithServices } from '../helpers/services';

const TTL = 30_000;

/**
 * One behaviour suite for every ViewerSessionStore. Time is passed in (`now`), so expiry is
 * tested by moving the clock, not by sleeping.
 */
function behaves(make: () => Promise<{ store: ViewerSessionStore; close(): Promise<void> }>) {
  let store: ViewerSessionStore;
  let close: () => Promise<void>;
  beforeAll(async () => ({ store, close } = await make()));
  afterAll(async () => close?.());

  const T0 = Date.now();
  const stream = () => randomUUID();

  it('counts a session once however often it is seen, and tells only its first sighting as a start', async () => {
    const s = stream();
    expect(await store.touch(s, 'sid-a', T0 + TTL, T0)).toBe(true);
    expect(await store.touch(s, 'sid-a', T0 + 1000 + TTL, T0 + 1000)).toBe(false);
    expect(await store.touch(s, 'sid-a', T0 + 2000 + TTL, T0 + 2000)).toBe(false);
    expect(await store.touch(s, 'sid-b', T0 + 2000 + TTL, T0 + 2000)).toBe(true);
    expect(await store.count(s, T0 + 2000)).toBe(2);
  });

  it('forgets a session not seen within its lease, and starts it again when it comes back', async () => {
    const s = stream();
    await store.touch(s, 'gone', T0 + TTL, T0);
    await store.touch(s, 'alive', T0 + TTL, T0);
    await store.touch(s, 'alive', T0 + TTL - 1000 + TTL, T0 + TTL - 1000);
    expect(await store.count(s, T0 + TTL - 1)).toBe(2);
    expect(await store.count(s, T0 + TTL)).toBe(1);
    expect(await store.touch(s, 'gone', T0 + 2 * TTL, T0 + TTL + 5)).toBe(true);
    expect(await store.count(s, T0 + TTL + 5)).toBe(2);
  });

  it('releases a session at once (play_done), and ignores unknown ones', async () => {
    const s = stream();
    await store.touch(s, 'a', T0 + TTL, T0);
    await store.touch(s, 'b', T0 + TTL, T0);
    await store.release(s, 'a');
    expect(await store.count(s, T0 + 1)).toBe(1);
    await store.release(s, 'never-seen');
    await store.release(stream(), 'a');
    expect(await store.count(s, T0 + 1)).toBe(1);
    // Released, then seen again: a new start.
    expect(await store.touch(s, 'a', T0 + 2 + TTL, T0 + 2)).toBe(true);
  });

  it('never shortens a lease: a held session outlives a shorter refresh', async () => {
    const s = stream();
    const hold = T0 + 10 * TTL;
    await store.touch(s, 'held', hold, T0);
    expect(await store.touch(s, 'held', T0 + 1000 + TTL, T0 + 1000)).toBe(false);
    expect(await store.count(s, T0 + 5 * TTL)).toBe(1);
    expect(await store.count(s, hold)).toBe(0);
  });

  it('keeps streams apart and counts several in one call, unknown ones as 0', async () => {
    const [a, b, c] = [stream(), stream(), stream()];
    await store.touch(a, 'x', T0 + TTL, T0);
    await store.touch(a, 'y', T0 + TTL, T0);
    await store.touch(b, 'x', T0 + TTL, T0);
    expect(Object.fromEntries(await store.counts([a, b, c], T0))).toEqual({
      [a]: 2,
      [b]: 1,
      [c]: 0,
    });
    expect(Object.fromEntries(await store.counts([], T0))).toEqual({});
    expect(await store.count(c, T0)).toBe(0);
  });

  it('tells exactly one of many concurrent first sightings that the session started', async () => {
    const s = stream();
    const starts = await Promise.all(
      Array.from({ length: 20 }, () => store.touch(s, 'same', T0 + TTL, T0)),
    );
    expect(starts.filter(Boolean)).toHaveLength(1);
    expect(await store.count(s, T0)).toBe(1);
  });
}

describe('ViewerSessionStore: memory', () => {
  behaves(async () => ({
    store: new MemoryViewerSessionStore(),
    close: async () => undefined,
  }));
});

describeWithServices('ViewerSessionStore: redis', () => {
  const connect = async () => {
    const prefix = `t${randomBytes(4).toString('hex')}:`;
    const redis = await RedisService.connect(
      loadConfig({ REDIS_URL: process.env.TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }),
    );
    return {
      redis,
      async close() {
        const keys = await redis.client.keys(`${prefix}*`);
        // KEYS returns full names; the client would prefix again, so strip ours first.
        if (keys.length) await redis.client.del(...keys.map((k) => k.slice(prefix.length)));
        await redis.onApplicationShutdown();
      },
    };
  };

  behaves(async () => {
    const { redis, close } = await connect();
    return { store: new RedisViewerSessionStore(redis), close };
  });

  it('uses one sorted set per stream: member = session id, score = counted-until ms, expiring after it', async () => {
    const { redis, close } = await connect();
    try {
      const store = new RedisViewerSessionStore(redis);
      const s = randomUUID();
      const now = Date.now();
      await store.touch(s, 'sid-1', now + TTL, now);
      expect(await redis.client.zscore(`playback:{${s}}:z`, 'sid-1')).toBe(String(now + TTL));
      const pttl = await redis.client.pttl(`playback:{${s}}:z`);
      expect(pttl).toBeGreaterThan(TTL - 1000);
      expect(pttl).toBeLessThanOrEqual(TTL + 5000);
    } finally {
      await close();
    }
  });
});
