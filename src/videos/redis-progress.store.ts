import { Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisService } from '../redis/redis.service';
import { PlaybackProgress, ProgressStore } from './progress.store';

/** A viewer's hash expires this long after their last write (refreshed on every write). */
export const PROGRESS_TTL_MS = 180 * 24 * 3600 * 1000;

/** Key of one user's hash (the RedisService keyPrefix is added by ioredis). */
export const progressKey = (userId: string): string => `player:status:${userId}`;

/**
 * Compare-and-set in one round trip: Redis runs the script atomically, so between reading the
 * stored timestamp and writing the new value no other replica can slip a write in. ISO-8601
 * UTC strings of the same shape compare correctly as strings, so no date parsing in Lua.
 * An unreadable stored value is overwritten rather than blocking the viewer forever.
 */
const SAVE_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ok, dec = pcall(cjson.decode, cur)
  if ok and type(dec) == 'table' and type(dec.updatedAt) == 'string' and dec.updatedAt > ARGV[3] then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

type WithSaveCommand = Redis & {
  onairProgressSave(
    key: string,
    field: string,
    json: string,
    updatedAt: string,
    ttlMs: number,
  ): Promise<number>;
};

/**
 * Layout: one hash per user, `player:status:<userId>`, one field per video id holding JSON
 * `{positionSec, paused, updatedAt}`.
 */
@Injectable()
export class RedisProgressStore extends ProgressStore {
  private readonly logger = new Logger('RedisProgressStore');
  private readonly client: WithSaveCommand;

  constructor(private readonly redis: RedisService) {
    super();
    const client = redis.client as WithSaveCommand;
    // defineCommand sends EVALSHA and falls back to EVAL once per connection.
    if (typeof client.onairProgressSave !== 'function')
      client.defineCommand('onairProgressSave', { numberOfKeys: 1, lua: SAVE_SCRIPT });
    this.client = client;
  }

  async save(userId: string, videoId: string, progress: PlaybackProgress): Promise<boolean> {
    this.redis.assertReady();
    const updatedAt = progress.updatedAt.toISOString();
    const json = JSON.stringify({
      positionSec: progress.positionSec,
      paused: progress.paused,
      updatedAt,
    });
    return (
      (await this.client.onairProgressSave(
        progressKey(userId),
        videoId,
        json,
        updatedAt,
        PROGRESS_TTL_MS,
      )) === 1
    );
  }

  async get(userId: string, videoId: string): Promise<PlaybackProgress | null> {
    this.redis.assertReady();
    const raw = await this.client.hget(progressKey(userId), videoId);
    if (raw === null) return null;
    try {
      const v = JSON.parse(raw) as { positionSec?: unknown; paused?: unknown; updatedAt?: unknown };
      const updatedAt = typeof v.updatedAt === 'string' ? new Date(v.updatedAt) : undefined;
      if (
        typeof v.positionSec !== 'number' ||
        typeof v.paused !== 'boolean' ||
        !updatedAt ||
        Number.isNaN(updatedAt.getTime())
      )
        throw new Error('bad shape');
      return { positionSec: v.positionSec, paused: v.paused, updatedAt };
    } catch {
      // Never fail a player over one unreadable entry: treat it as "no progress"; the next write replaces it.
      this.logger.warn({ userId, videoId }, 'Unreadable playback progress entry ignored');
      return null;
    }
  }
}
