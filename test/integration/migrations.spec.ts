import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/typeorm-options';
import { createTestDatabase } from '../helpers/modes';
import { hasPostgres, reportSkip } from '../helpers/services';

/**
 * Entities and migrations must agree: after running every migration, TypeORM's schema diff
 * (what `migration:generate` would write) is empty. Also: every migration reverts cleanly.
 */
async function assertInSync(env: Record<string, string>) {
  const ds = new DataSource(buildDataSourceOptions(loadConfig(env)));
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.length).toBeGreaterThan(0);
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    for (let i = 0; i < applied.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    const tables = (await ds.query(
      ds.options.type === 'postgres'
        ? `SELECT table_name AS name FROM information_schema.tables WHERE table_schema='public'`
        : `SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'`,
    )) as { name: string }[];
    expect(tables.map((t) => t.name).filter((n) => n !== 'migrations')).toEqual([]);
  } finally {
    await ds.destroy();
  }
}

describe('migrations match the entities', () => {
  it('in SQLite', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-mig-'));
    try {
      await assertInSync({ DATA_DIR: dir });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  if (hasPostgres()) {
    it('in PostgreSQL', async () => {
      const db = await createTestDatabase();
      try {
        await assertInSync({ DATABASE_URL: db.url });
      } finally {
        await db.drop();
      }
    });
  } else reportSkip('migrations in PostgreSQL', 'PostgreSQL not reachable');
});
