import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { hasServices, reportSkip } from './services';

export type Mode = 'embedded' | 'clustered';

export interface ModeEnv {
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export const TEST_SECRETS = {
  JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789',
  HOOK_SECRET: 'test-hook-secret-0123456789abcdef',
  PLAY_URL_SECRET: 'test-play-secret-0123456789abcdef',
};

/** A fresh PostgreSQL database on the test server; dropped by `drop()`. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `onair_t_${randomBytes(6).toString('hex')}`;
  const c = new Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c2 = new Client({ connectionString: admin });
      await c2.connect();
      await c2.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c2.end();
    },
  };
}

/**
 * Environment for one suite: embedded = temp DATA_DIR with SQLite; clustered = a fresh
 * PostgreSQL database + a unique Redis key prefix (+ DATA_DIR for files).
 */
export async function modeEnv(mode: Mode, extra: Record<string, string> = {}): Promise<ModeEnv> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-test-'));
  // Suites open many sockets from 127.0.0.1; the per-IP handshake limit is exercised on its own
  // (test/security/socket-abuse.spec.ts sets it back to the default).
  const base: Record<string, string> = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    WS_HANDSHAKE_LIMIT: '10000/10000',
    ...TEST_SECRETS,
  };
  if (mode === 'embedded') {
    return {
      env: { ...base, ...extra },
      cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const db = await createTestDatabase();
  return {
    env: {
      ...base,
      DATABASE_URL: db.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `t${randomBytes(5).toString('hex')}:`,
      ...extra,
    },
    async cleanup() {
      await db.drop().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The modes a suite runs in: both when PostgreSQL and Redis answer; otherwise embedded only, and
 * the dropped clustered variant is reported (and counted in the summary) as a skip.
 */
export function suiteModes(suite: string): Mode[] {
  if (hasServices()) return ['embedded', 'clustered'];
  reportSkip(`"${suite}" (clustered)`, 'needs PostgreSQL and Redis');
  return ['embedded'];
}
