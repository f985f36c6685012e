import { Injectable } from '@nestjs/common';
import type { ChainableCommander } from 'ioredis';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { RedisService } from '../redis/redis.service';
import { PresenceMember, PresenceRelease, PresenceStore, PresenceTouch } from './presence.store';

/*
 * Layout (REDIS_KEY_PREFIX is prepended by the client; {roomId} is a hash tag so one room's
 * keys share a cluster slot and the scripts stay single-slot):
 *   presence:{<room>}:z            sorted set, member = viewer id, score = last seen (ms)
 *   presence:{<room>}:v:<viewer>   hash, field per source → last seen (ms), field `n` → display name
 *   presence:rooms                 sorted set, member = room id, score = last activity (ms);
 *                                  lets online_viewers be summed without scanning keys
 * Every key gets a PEXPIRE of TTL + slack on each touch, so abandoned rooms and the entries of
 * crashed instances disappear by themselves.
 */

const SLACK_MS = 5000;
const MEMBER_SCAN_CAP = 5000;

/** KEYS: z, viewer-key base. ARGV: now, cutoff, expireMs, viewerId, source, displayName ('' = none). */
const TOUCH = `
local v = KEYS[2] .. ARGV[4]
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('HSET', v, ARGV[5], ARGV[1])
if ARGV[6] ~= '' then redis.call('HSET', v, 'n', ARGV[6]) end
redis.call('PEXPIRE', v, ARGV[3])
return 1
`;

/**
 * KEYS: z, viewer key. ARGV: viewerId, source, cutoff.
 * Drops the source; the viewer stays (scored by its freshest live source) or goes at once.
 */
const RELEASE = `
redis.call('HDEL', KEYS[2], ARGV[2])
local f = redis.call('HGETALL', KEYS[2])
local best = nil
for i = 1, #f, 2 do
  if f[i] ~= 'n' then
    local seen = tonumber(f[i + 1])
    if seen and seen > tonumber(ARGV[3]) and (best == nil or seen > best) then best = seen end
  end
end
if best then
  redis.call('ZADD', KEYS[1], best, ARGV[1])
  return 0
end
redis.call('DEL', KEYS[2])
return redis.call('ZREM', KEYS[1], ARGV[1])
`;

/** KEYS: z, viewer-key base. ARGV: cutoff, limit, scanCap. Returns [viewerId, name, ...] for named viewers. */
const MEMBERS = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
local limit = tonumber(ARGV[2])
for _, id in ipairs(ids) do
  if #out >= limit * 2 then break end
  if string.sub(id, 1, 5) ~= 'anon:' then
    local n = redis.call('HGET', KEYS[2] .. id, 'n')
    if n then
      out[#out + 1] = id
      out[#out + 1] = n
    end
  end
end
return out
`;

interface PresenceCommands {
  onairPresenceTouch(
    z: string,
    vBase: string,
    now: number,
    cutoff: number,
    expireMs: number,
    viewerId: string,
    source: string,
    name: string,
  ): Promise<number>;
  onairPresenceRelease(
    z: string,
    v: string,
    viewerId: string,
    source: string,
    cutoff: number,
  ): Promise<number>;
  onairPresenceMembers(
    z: string,
    vBase: string,
    cutoff: number,
    limit: number,
    cap: number,
  ): Promise<string[]>;
}

/** The same scripts queued on a pipeline (defineCommand adds them there too). */
interface PresencePipeline {
  onairPresenceTouch(
    z: string,
    vBase: string,
    now: number,
    cutoff: number,
    expireMs: number,
    viewerId: string,
    source: string,
    name: string,
  ): unknown;
  onairPresenceRelease(
    z: string,
    v: string,
    viewerId: string,
    source: string,
    cutoff: number,
  ): unknown;
}

const zKey = (roomId: string) => `presence:{${roomId}}:z`;
const vBase = (roomId: string) => `presence:{${roomId}}:v:`;
const ROOMS = 'presence:rooms';

@Injectable()
export class RedisPresenceStore extends PresenceStore {
  private readonly ttlMs: number;

  constructor(
    private readonly redis: RedisService,
    @InjectConfig() config: Pick<AppConfig, 'presenceTtlSec'>,
  ) {
    super();
    this.ttlMs = config.presenceTtlSec * 1000;
    const c = redis.client;
    // defineCommand is idempotent per name; EVALSHA with a transparent EVAL fallback.
    c.defineCommand('onairPresenceTouch', { numberOfKeys: 2, lua: TOUCH });
    c.defineCommand('onairPresenceRelease', { numberOfKeys: 2, lua: RELEASE });
    c.defineCommand('onairPresenceMembers', { numberOfKeys: 2, lua: MEMBERS });
  }

  private get cmd(): PresenceCommands {
    return this.redis.client as unknown as PresenceCommands;
  }

  async touch(entries: readonly PresenceTouch[], nowMs: number): Promise<void> {
    if (entries.length === 0) return;
    this.redis.assertReady();
    const cutoff = nowMs - this.ttlMs;
    const expire = this.ttlMs + SLACK_MS;
    const p = this.redis.client.pipeline();
    const q = p as unknown as PresencePipeline;
    const rooms = new Set<string>();
    for (const e of entries) {
      q.onairPresenceTouch(
        zKey(e.roomId),
        vBase(e.roomId),
        nowMs,
        cutoff,
        expire,
        e.viewerId,
        e.source,
        e.displayName ?? '',
      );
      rooms.add(e.roomId);
    }
    for (const r of rooms) p.zadd(ROOMS, nowMs, r);
    await execOrThrow(p);
  }

  async release(entries: readonly PresenceRelease[], nowMs: number): Promise<void> {
    if (entries.length === 0) return;
    this.redis.assertReady();
    const cutoff = nowMs - this.ttlMs;
    const p = this.redis.client.pipeline();
    const q = p as unknown as PresencePipeline;
    for (const e of entries)
      q.onairPresenceRelease(
        zKey(e.roomId),
        vBase(e.roomId) + e.viewerId,
        e.viewerId,
        e.source,
        cutoff,
      );
    await execOrThrow(p);
  }

  async count(roomId: string, nowMs: number): Promise<number> {
    this.redis.assertReady();
    return this.redis.client.zcount(zKey(roomId), `(${nowMs - this.ttlMs}`, '+inf');
  }

  async counts(roomIds: readonly string[], nowMs: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (roomIds.length === 0) return out;
    this.redis.assertReady();
    const min = `(${nowMs - this.ttlMs}`;
    const p = this.redis.client.pipeline();
    for (const id of roomIds) p.zcount(zKey(id), min, '+inf');
    const results = await execOrThrow(p);
    roomIds.forEach((id, i) => out.set(id, Number(results[i] ?? 0)));
    return out;
  }

  async members(roomId: string, nowMs: number, limit: number): Promise<PresenceMember[]> {
    this.redis.assertReady();
    const flat = await this.cmd.onairPresenceMembers(
      zKey(roomId),
      vBase(roomId),
      nowMs - this.ttlMs,
      limit,
      MEMBER_SCAN_CAP,
    );
    const out: PresenceMember[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      out.push({ viewerId: flat[i], displayName: flat[i + 1] });
    return out;
  }

  async total(nowMs: number): Promise<number> {
    this.redis.assertReady();
    const cutoff = nowMs - this.ttlMs;
    const c = this.redis.client;
    const [, roomIds] = await Promise.all([
      c.zremrangebyscore(ROOMS, '-inf', cutoff),
      c.zrangebyscore(ROOMS, `(${cutoff}`, '+inf'),
    ]);
    const counts = await this.counts(roomIds, nowMs);
    let sum = 0;
    for (const n of counts.values()) sum += n;
    return sum;
  }

  async clearRoom(roomId: string): Promise<void> {
    this.redis.assertReady();
    // Viewer hashes of the room expire on their own (TTL + slack); without the sorted set they count for nothing.
    await this.redis.client.multi().del(zKey(roomId)).zrem(ROOMS, roomId).exec();
  }
}

/** Runs a pipeline and surfaces the first command error (ioredis reports them per command). */
async function execOrThrow(p: ChainableCommander): Promise<unknown[]> {
  const res = (await p.exec()) ?? [];
  const out: unknown[] = [];
  for (const [err, value] of res) {
    if (err) throw err;
    out.push(value);
  }
  return out;
}
