/**
 * Once per run, before any suite:
 * - finds out whether PostgreSQL and Redis are reachable for the integration/e2e tiers. Missing
 *   services → those suites are skipped with a loud line, unless REQUIRE_SERVICES=1 or CI is set,
 *   when the run fails here;
 * - opens the skip log that suites append undeclared skips to (test/helpers/services.ts
 *   reportSkip), which the summary reporter counts;
 * - rebuilds dist/ when it is older than the sources, unless only unit specs (src/) run, so that
 *   process-based suites never test a stale build.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isStrict } from '../helpers/services';
import { distStaleness } from './dist-freshness';

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

/** The path patterns the run was started with (jest 30: globalConfig.testPathPatterns). */
function pathPatterns(globalConfig: unknown): string[] {
  const g = globalConfig as {
    testPathPatterns?: { patterns?: string[] } | string[];
    testPathPattern?: string;
  };
  const p = g.testPathPatterns;
  if (Array.isArray(p)) return p;
  if (p && Array.isArray(p.patterns)) return p.patterns;
  return g.testPathPattern ? [g.testPathPattern] : [];
}

function ensureFreshBuild(globalConfig: unknown): void {
  if (process.env.ONAIR_MAIN_JS) return;
  const patterns = pathPatterns(globalConfig);
  const unitOnly = patterns.length > 0 && patterns.every((p) => /^(\.\/)?src\b/.test(p));
  if (unitOnly) return;
  const stale = distStaleness();
  if (!stale) return;
  process.stderr.write(`\n${stale}: building (npm run build) before the process-based suites\n`);
  const root = path.resolve(__dirname, '..', '..');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}

export default async function globalSetup(globalConfig: unknown): Promise<void> {
  const skipLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'onair-skips-')), 'skips.log');
  fs.writeFileSync(skipLog, '');
  process.env.ONAIR_SKIP_LOG = skipLog;

  ensureFreshBuild(globalConfig);

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
  if (isStrict())
    throw new Error(`CI or REQUIRE_SERVICES=1 is set, but ${missing.join(' and ')} not reachable`);
  process.stderr.write(`\n${'!'.repeat(100)}\n${line}\n${'!'.repeat(100)}\n\n`);
}
