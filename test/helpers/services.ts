/** Gates for suites that need real PostgreSQL / Redis (decided once in global-setup.ts). */
import * as fs from 'node:fs';

export const hasPostgres = (): boolean => process.env.ONAIR_TEST_PG === '1';
export const hasRedis = (): boolean => process.env.ONAIR_TEST_REDIS === '1';
export const hasServices = (): boolean => hasPostgres() && hasRedis();

/**
 * CI=true is as strict as REQUIRE_SERVICES=1: a missing service or tool fails the run instead of
 * skipping what needs it.
 */
export const isStrict = (): boolean =>
  process.env.REQUIRE_SERVICES === '1' || (!!process.env.CI && process.env.CI !== 'false');

/**
 * Reports something that was not run: a loud line now, and a line in the run's skip log so that
 * the closing summary (test/setup/summary-reporter.js) counts it. For tests that are not even
 * declared (a dropped clustered variant, a missing tool), which jest itself cannot count.
 */
export function reportSkip(what: string, why: string): void {
  const line = `SKIPPED ${what}: ${why}`;
  process.stderr.write(`!!! ${line}\n`);
  const log = process.env.ONAIR_SKIP_LOG;
  if (log) fs.appendFileSync(log, `${line}\n`);
}

/** `describe` when PostgreSQL and Redis answer; otherwise a skipped suite and a loud line. */
export function describeWithServices(name: string, fn: () => void): void {
  if (hasServices()) {
    describe(name, fn);
    return;
  }
  process.stderr.write(
    `!!! SKIPPED "${name}": needs PostgreSQL and Redis (TEST_DATABASE_URL / TEST_REDIS_URL). Run with the services up, or REQUIRE_SERVICES=1 to make this a failure.\n`,
  );
  describe.skip(name, fn);
}
