import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/app-config';
import { MemoryPresenceStore } from '../../src/presence/memory-presence.store';
import type { PresenceStore, PresenceTouch } from '../../src/presence/presence.store';
import { RedisPresenceStore } from '../../src/presence/redis-presence.store';
import { RedisService } from '../../src/redis/redis.service';
import { describeWithServices } from '../helpers/services';

const TTL_SEC = 30;
const TTL = TTL_SEC * 1000;

/**
 * One behaviour suite for every PresenceStore. Time is passed in (`now`), so expiry is tested
 * by moving the clock, not by sleeping.
 */
function behaves(make: () => Promise<{ store: PresenceStore; close(): Promise<void> }>) {
  let store: PresenceStore;
  let close: () => Promise<void>;
  beforeAll(async () => ({ store, close } = await make()));
  afterAll(async () => close?.());

  const T0 = Date.now();
  const room = () => randomUUID();
  const user = (
    roomId: string,
    viewerId: string,
    source: string,
    displayName: string | null = null,
  ): PresenceTouch => ({ roomId, viewerId, source, displayName });

  it('counts a viewer once however many sources hold it', async () => {
    const r = room();
    await store.touch(
      [
        user(r, 'u1', 'instA', 'Alice'),
        user(r, 'u1', 'instB', 'Alice'),
        user(r, 'u1', 'http', 'Alice'),
        user(r, 'anon:x1', 'instA'),
      ],
      T0,
    );
    expect(await store.count(r, T0)).toBe(2);
  });

  it('keeps a viewer while another source still holds it, and drops it at once when the last one goes', async () => {
    const r = room();
    await store.touch([user(r, 'u1', 'instA', 'Alice'), user(r, 'u1', 'instB', 'Alice')], T0);
    await store.release([{ roomId: r, viewerId: 'u1', source: 'instA' }], T0 + 10);
    expect(await store.count(r, T0 + 10)).toBe(1);
    await store.release([{ roomId: r, viewerId: 'u1', source: 'instB' }], T0 + 20);
    expect(await store.count(r, T0 + 20)).toBe(0);
  });

  it('after a release, scores the viewer by its freshest remaining source', async () => {
    const r = room();
    await store.touch([user(r, 'u1', 'http')], T0);
    await store.touch([user(r, 'u1', 'instA')], T0 + 5000);
    await store.release([{ roomId: r, viewerId: 'u1', source: 'instA' }], T0 + 6000);
    // The REST heartbeat at T0 keeps it until T0 + TTL, not until the released socket's T0 + 5000 + TTL.
    expect(await store.count(r, T0 + TTL - 1)).toBe(1);
    expect(await store.count(r, T0 + TTL + 1)).toBe(0);
  });

  it('forgets viewers that were not seen within the TTL (a crashed instance stops touching)', async () => {
    const r = room();
    await store.touch([user(r, 'u1', 'crashed'), user(r, 'u2', 'alive')], T0);
    await store.touch([user(r, 'u2', 'alive')], T0 + TTL - 1000);
    expect(await store.count(r, T0 + TTL - 500)).toBe(2);
    expect(await store.count(r, T0 + TTL + 1)).toBe(1);
    // A release of an expired viewer's other source is harmless.
    await store.release([{ roomId: r, viewerId: 'u1', source: 'other' }], T0 + TTL + 2);
    expect(await store.count(r, T0 + TTL + 2)).toBe(1);
  });

  it('counts several rooms in one call and unknown rooms as 0', async () => {
    const [a, b, c] = [room(), room(), room()];
    await store.touch([user(a, 'u1', 's'), user(a, 'u2', 's'), user(b, 'u1', 's')], T0);
    const counts = await store.counts([a, b, c], T0);
    expect(Object.fromEntries(counts)).toEqual({ [a]: 2, [b]: 1, [c]: 0 });
    expect(Object.fromEntries(await store.counts([], T0))).toEqual({});
  });

  it('lists named viewers only, without anonymous ones, up to the limit', async () => {
    const r = room();
    await store.touch(
      [
        user(r, 'u1', 's', 'Alice'),
        user(r, 'u2', 's', 'Bob'),
        user(r, 'anon:zz', 's'),
        user(r, 'u3', 's', 'Carol'),
      ],
      T0,
    );
    const all = await store.members(r, T0, 10);
    expect(all.map((m) => m.displayName).sort()).toEqual(['Alice', 'Bob', 'Carol']);
    expect(all.find((m) => m.displayName === 'Bob')?.viewerId).toBe('u2');
    expect(await store.members(r, T0, 2)).toHaveLength(2);
    expect(await store.members(r, T0 + TTL + 1, 10)).toEqual([]);
  });

  it('sums online viewers over rooms, leaving out expired ones', async () => {
    const before = await store.total(T0 + 2 * TTL);
    const [a, b] = [room(), room()];
    await store.touch([user(a, 'u1', 's'), user(a, 'u2', 's'), user(b, 'u3', 's')], T0 + 2 * TTL);
    expect(await store.total(T0 + 2 * TTL)).toBe(before + 3);
    expect(await store.total(T0 + 4 * TTL)).toBe(0);
  });

  it('clears a closed room', async () => {
    const r = room();
    await store.touch([user(r, 'u1', 's', 'Alice'), user(r, 'anon:1', 'http')], T0);
    await store.clearRoom(r);
    expect(await store.count(r, T0)).toBe(0);
    expect(await store.members(r, T0, 10)).toEqual([]);
  });

  it('takes empty batches', async () => {
    await expect(store.touch([], T0)).resolves.toBeUndefined();
    await expect(store.release([], T0)).resolves.toBeUndefined();
  });
}

describe('PresenceStore: memory', () => {
  behaves(async () => ({
    store: new MemoryPresenceStore({ presenceTtlSec: TTL_SEC }),
    close: async () => undefined,
  }));
});

describeWithServices('PresenceStore: redis', () => {
  behaves(async () => {
    const prefix = `t${randomBytes(4).toString('hex')}:`;
    const redis = await RedisService.connect(
      loadConfig({ REDIS_URL: process.env.TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }),
    );
    return {
      store: new RedisPresenceStore(redis, { presenceTtlSec: TTL_SEC }),
      async close() {
        const keys = await redis.client.keys(`${prefix}*`);
        // KEYS returns full names; the client would prefix again, so strip ours first.
        if (keys.length) await redis.client.del(...keys.map((k) => k.slice(prefix.length)));
        await redis.onApplicationShutdown();
      },
    };
  });

  it('uses one sorted set per room with the viewer id as member and last-seen ms as score', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}:`;
    const redis = await RedisService.connect(
      loadConfig({ REDIS_URL: process.env.TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }),
    );
    try {
      const store = new RedisPresenceStore(redis, { presenceTtlSec: TTL_SEC });
      const r = randomUUID();
      const now = Date.now();
      await store.touch([{ roomId: r, viewerId: 'u1', source: 's', displayName: 'Alice' }], now);
      expect(await redis.client.zscore(`presence:{${r}}:z`, 'u1')).toBe(String(now));
      expect(await redis.client.pttl(`presence:{${r}}:z`)).toBeGreaterThan(0);
      await store.clearRoom(r);
    } finally {
      await redis.client.del(
        ...(await redis.client.keys(`${prefix}*`)).map((k) => k.slice(prefix.length)),
        'x',
      );
      await redis.onApplicationShutdown();
    }
  });
});
