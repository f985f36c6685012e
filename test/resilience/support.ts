/** Shared pieces of the fault-injection suites: proxied environments, timing, metric reading. */
import { modeEnv } from '../helpers/modes';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';

export const METRICS_TOKEN = 'resilience-metrics-token';

export interface FaultEnv {
  env: Record<string, string>;
  /** Proxy between the app and PostgreSQL (when asked for). */
  db?: TcpProxy;
  /** Proxy between the app and Redis (when asked for). */
  redis?: TcpProxy;
  /** The fresh database's name (for pg_stat_activity checks). */
  dbName: string;
  /** Direct (unproxied) URL of the fresh database, for the test's own checks. */
  directDbUrl: string;
  /** Direct (unproxied) Redis URL and the app's key prefix, for the test's own checks. */
  directRedisUrl: string;
  redisKeyPrefix: string;
  cleanup(): Promise<void>;
}

/** Clustered environment (fresh database, unique Redis prefix) with TCP proxies we control in front of PostgreSQL and/or Redis. */
export async function faultEnv(
  opts: { proxyDb?: boolean; proxyRedis?: boolean; extra?: Record<string, string> } = {},
): Promise<FaultEnv> {
  const m = await modeEnv('clustered', { METRICS_TOKEN, ...(opts.extra ?? {}) });
  const env = { ...m.env };
  const dbUrl = new URL(env.DATABASE_URL);
  const redisUrl = new URL(env.REDIS_URL);
  let db: TcpProxy | undefined;
  let redis: TcpProxy | undefined;
  if (opts.proxyDb) {
    db = await startTcpProxy(dbUrl.hostname, Number(dbUrl.port || 5432));
    const u = new URL(env.DATABASE_URL);
    u.hostname = '127.0.0.1';
    u.port = String(db.port);
    env.DATABASE_URL = u.toString();
  }
  if (opts.proxyRedis) {
    redis = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    env.REDIS_URL = `redis://127.0.0.1:${redis.port}`;
  }
  return {
    env,
    db,
    redis,
    dbName: dbUrl.pathname.slice(1),
    directDbUrl: m.env.DATABASE_URL,
    directRedisUrl: m.env.REDIS_URL,
    redisKeyPrefix: m.env.REDIS_KEY_PREFIX,
    async cleanup() {
      await Promise.all([db?.close(), redis?.close()]);
      await m.cleanup();
    },
  };
}

/** Runs `fn` and returns its result with the wall time it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Sum of the samples of one metric in Prometheus text whose labels include `labels`. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ([^ ]+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      have.set(pair[1], pair[2]);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[4]);
  }
  return sum;
}

export function isJsonLine(line: string): boolean {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null;
  } catch {
    return false;
  }
}
