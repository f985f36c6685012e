/** Gates for suites that need real PostgreSQL / Redis (decided once in global-setup.ts). */
export const hasPostgres = (): boolean => process.env.ONAIR_TEST_PG === '1';
export const hasRedis = (): boolean => process.env.ONAIR_TEST_REDIS === '1';
export const hasServices = (): boolean => hasPostgres() && hasRedis();

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
