/**
 * Finds out once whether PostgreSQL and Redis are reachable for the integration/e2e tiers.
 * Missing services → those suites are skipped with a loud line, unless REQUIRE_SERVICES=1,
 * when the run fails here.
 */
import { Socket } from 'node:net';

function reachable(url: string, defPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve(false);
      return;
    }
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1500, () => done(false));
    s.once('error', () => done(false));
    s.connect(Number(u.port || defPort), u.hostname, () => done(true));
  });
}

export default async function globalSetup(): Promise<void> {
  process.env.TEST_DATABASE_URL ||= 'postgres://postgres@127.0.0.1:5432/postgres';
  process.env.TEST_REDIS_URL ||= 'redis://127.0.0.1:6379';
  const [pg, redis] = await Promise.all([
    reachable(process.env.TEST_DATABASE_URL, 5432),
    reachable(process.env.TEST_REDIS_URL, 6379),
  ]);
  process.env.ONAIR_TEST_PG = pg ? '1' : '0';
  process.env.ONAIR_TEST_REDIS = redis ? '1' : '0';
  const missing = [
    !pg && `PostgreSQL (${process.env.TEST_DATABASE_URL})`,
    !redis && `Redis (${process.env.TEST_REDIS_URL})`,
  ].filter(Boolean);
  if (missing.length === 0) return;
  const line = `!!! ${missing.join(' and ')} not reachable: the integration and clustered e2e suites that need them are SKIPPED. Start the services or set TEST_DATABASE_URL / TEST_REDIS_URL, then run npm test again.`;
  if (process.env.REQUIRE_SERVICES === '1')
    throw new Error(`REQUIRE_SERVICES=1 but ${missing.join(' and ')} not reachable`);
  process.stderr.write(`\n${'!'.repeat(100)}\n${line}\n${'!'.repeat(100)}\n\n`);
}
