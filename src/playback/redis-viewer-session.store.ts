import { Injectable } from '@nestjs/common';
import type { ChainableCommander } from 'ioredis';
import { RedisService } from '../redis/redis.service';
import { ViewerSessionStore } from './viewer-session.store';

/*
 * Layout (REDIS_KEY_PREFIX is prepended by the client; {streamId} is a hash tag):
 *   playback:{<stream>}:z   sorted set, member = session id, score = counted until (ms)
 * The key expires a little after its latest score, so streams nobody watches leave nothing.
 */

const SLACK_MS = 5000;

/**
 * KEYS: z. ARGV: sid, untilMs, nowMs, slackMs.
 * Keeps the later of the old and new "until", trims expired members, and answers 1 when the
 * session was not counted before this call (new or expired): exactly one caller sees 1 per start.
 */
const TOUCH = `
local now = tonumber(ARGV[3])
local untilMs = tonumber(ARGV[2])
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
local oldN = old and tonumber(old) or nil
if oldN and oldN > untilMs then untilMs = oldN end
redis.call('ZADD', KEYS[1], untilMs, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local keep = untilMs - now + tonumber(ARGV[4])
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
if oldN and oldN > now then return 0 end
return 1
`;

interface SessionCommands {
  onairPlaybackTouch(
    z: string,
    sid: string,
    untilMs: number,
    nowMs: number,
    slackMs: number,
  ): Promise<number>;
}

const zKey = (streamId: string) => `playback:{${streamId}}:z`;

@Injectable()
export class RedisViewerSessionStore extends ViewerSessionStore {
  constructor(private readonly redis: RedisService) {
    super();
    // defineCommand is idempotent per name; EVALSHA with a transparent EVAL fallback.
    redis.client.defineCommand('onairPlaybackTouch', { numberOfKeys: 1, lua: TOUCH });
  }

  async touch(streamId: string, sid: string, untilMs: number, nowMs: number): Promise<boolean> {
    this.redis.assertReady();
    const cmd = this.redis.client as unknown as SessionCommands;
    return (await cmd.onairPlaybackTouch(zKey(streamId), sid, untilMs, nowMs, SLACK_MS)) === 1;
  }

  async release(streamId: string, sid: string): Promise<void> {
    this.redis.assertReady();
    await this.redis.client.zrem(zKey(streamId), sid);
  }

  async count(streamId: string, nowMs: number): Promise<number> {
    this.redis.assertReady();
    return this.redis.client.zcount(zKey(streamId), `(${nowMs}`, '+inf');
  }

  async counts(streamIds: readonly string[], nowMs: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (streamIds.length === 0) return out;
    this.redis.assertReady();
    const p = this.redis.client.pipeline();
    for (const id of streamIds) p.zcount(zKey(id), `(${nowMs}`, '+inf');
    const results = await execOrThrow(p);
    streamIds.forEach((id, i) => out.set(id, Number(results[i] ?? 0)));
    return out;
  }

  async clearStream(streamId: string): Promise<void> {
    this.redis.assertReady();
    await this.redis.client.del(zKey(streamId));
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
