import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/typeorm-options';
import { RecordingImportEntity } from '../../src/recordings/recording-import.entity';
import { RecordingImportsRepository } from '../../src/recordings/recording-imports.repository';
import { createTestDatabase } from '../helpers/modes';
import { hasPostgres } from '../helpers/services';

/**
 * The recording_imports table is the import queue of every instance: a job is claimed by one
 * worker only, a lapsed lease lets another take it over, and the old owner can then neither
 * renew nor complete it. Run against both dialects with the real migrations.
 */
const dialects: ('sqlite' | 'postgres')[] = hasPostgres() ? ['sqlite', 'postgres'] : ['sqlite'];
if (!hasPostgres())
  process.stderr.write('!!! SKIPPED recording_imports on PostgreSQL: not reachable\n');

describe.each(dialects)('recording imports queue (%s)', (dialect) => {
  let ds: DataSource;
  let repo: RecordingImportsRepository;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    let env: Record<string, string>;
    if (dialect === 'postgres') {
      const db = await createTestDatabase();
      env = { DATABASE_URL: db.url };
      cleanup = () => db.drop();
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-recq-'));
      env = { DATA_DIR: dir };
      cleanup = () => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true }));
    }
    ds = new DataSource(buildDataSourceOptions(loadConfig(env)));
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    repo = new RecordingImportsRepository(ds.getRepository(RecordingImportEntity));
  });
  afterAll(async () => {
    await ds?.destroy();
    await cleanup?.();
  });
  beforeEach(async () => {
    await ds.getRepository(RecordingImportEntity).clear();
  });

  const enqueue = async () => {
    const id = randomUUID();
    await repo.enqueue({
      id,
      streamId: randomUUID(),
      server: 'nginx-rtmp',
      path: `/rec/${id}.flv`,
    });
    return id;
  };

  it('lets exactly one of many concurrent workers claim a job', async () => {
    const id = await enqueue();
    const tokens = Array.from({ length: 8 }, (_, i) => `token-${i}`);
    const claims = await Promise.all(tokens.map((t) => repo.claimNext(t, new Date(), 30_000)));
    const won = claims.filter((c) => c !== null);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ id, status: 'running', attempts: 1 });
    expect(tokens).toContain(won[0]!.claimToken);
    expect(await repo.claimNext('late', new Date(), 30_000)).toBeNull();
  });

  it('hands a job whose lease lapsed to another worker; the old owner loses it', async () => {
    const id = await enqueue();
    const t0 = new Date();
    expect(await repo.claimNext('first', t0, 30_000)).toMatchObject({ id, attempts: 1 });
    expect(await repo.claimNext('second', new Date(t0.getTime() + 10_000), 30_000)).toBeNull();
    const later = new Date(t0.getTime() + 31_000);
    expect(await repo.claimNext('second', later, 30_000)).toMatchObject({
      id,
      claimToken: 'second',
      attempts: 2,
    });
    expect(await repo.renew(id, 'first', new Date(later.getTime() + 30_000))).toBe(false);
    expect(await ds.transaction((m) => repo.completeIn(m, id, 'first', randomUUID()))).toBe(false);
    const videoId = randomUUID();
    expect(await ds.transaction((m) => repo.completeIn(m, id, 'second', videoId))).toBe(true);
    expect(await repo.findById(id)).toMatchObject({ status: 'done', videoId, claimToken: null });
    expect(await repo.claimNext('third', new Date(later.getTime() + 120_000), 30_000)).toBeNull();
  });

  it('waits out the back-off of a released job, and never claims a failed one', async () => {
    const id = await enqueue();
    const t0 = new Date();
    await repo.claimNext('w', t0, 30_000);
    await repo.release(id, 'w', new Date(t0.getTime() + 5_000), 'database down');
    expect(await repo.claimNext('w2', new Date(t0.getTime() + 1_000), 30_000)).toBeNull();
    expect(await repo.claimNext('w2', new Date(t0.getTime() + 6_000), 30_000)).toMatchObject({
      id,
      attempts: 2,
    });
    await repo.fail(id, 'w2', 'ffmpeg exited with code 1');
    expect(await repo.findById(id)).toMatchObject({ status: 'failed', error: expect.any(String) });
    expect(await repo.claimNext('w3', new Date(t0.getTime() + 3_600_000), 30_000)).toBeNull();
  });
});
