import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EntityManager } from 'typeorm';
import { fakeEntityManager, fakeMetrics, fakeModuleRef, fakeOf } from '../../test/helpers/fakes';
import { makeClip } from '../../test/helpers/recordings';
import { until } from '../../test/helpers/wait';
import { type ProductEvent, ProductEventOutbox } from '../common/ports';
import { loadConfig } from '../config/app-config';
import type { StreamDto } from '../streams/dto/stream.dto';
import { StreamsService } from '../streams/streams.service';
import { VideoFileStore } from '../videos/video-file.store';
import type { VideoEntity } from '../videos/video.entity';
import { type NewVideo, VideosRepository } from '../videos/videos.repository';
import { VideosService } from '../videos/videos.service';
import type { RecordingImportEntity } from './recording-import.entity';
import { RecordingImportsRepository } from './recording-imports.repository';
import { RecordingImportWorker } from './recording-import.worker';

/** A transaction: rows written through the manager are kept only when `fn` succeeds. */
class FakeVideosRepo implements Pick<VideosRepository, 'transaction' | 'createIn'> {
  rows = new Map<string, VideoEntity>();
  private readonly pending = new WeakMap<EntityManager, Map<string, VideoEntity>>();
  async transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    const pending = new Map<string, VideoEntity>();
    const manager = fakeEntityManager();
    this.pending.set(manager, pending);
    const out = await fn(manager);
    for (const [k, v] of pending) this.rows.set(k, v);
    return out;
  }
  createIn(manager: EntityManager, input: NewVideo): Promise<VideoEntity> {
    const now = new Date();
    const row = { ...input, createdAt: now, updatedAt: now } as VideoEntity;
    this.pending.get(manager)!.set(row.id, row);
    return Promise.resolve(row);
  }
}

class FakeJobs implements Pick<
  RecordingImportsRepository,
  'claimNext' | 'renew' | 'release' | 'fail' | 'completeIn'
> {
  job?: RecordingImportEntity;
  claimed = false;
  stillOwned = true;
  outcome?: { status: string; error?: string; manager?: EntityManager };
  claimNext(token: string): Promise<RecordingImportEntity | null> {
    if (this.claimed || !this.job) return Promise.resolve(null);
    this.claimed = true;
    this.job = { ...this.job, status: 'running', claimToken: token, attempts: 1 };
    return Promise.resolve(this.job);
  }
  renew(): Promise<boolean> {
    return Promise.resolve(true);
  }
  release(_id: string, _t: string, _after: Date, error: string | null): Promise<void> {
    this.outcome = { status: 'pending', error: error ?? undefined };
    return Promise.resolve();
  }
  fail(_id: string, _t: string, error: string): Promise<void> {
    this.outcome = { status: 'failed', error };
    return Promise.resolve();
  }
  completeCalls = 0;
  completeIn(manager: EntityManager): Promise<boolean> {
    this.completeCalls++;
    if (this.stillOwned) this.outcome = { status: 'done', manager };
    return Promise.resolve(this.stillOwned);
  }
}

describe('RecordingImportWorker', () => {
  let root: string;
  let recDir: string;
  let dataDir: string;
  let clip: string;
  let jobs: FakeJobs;
  let videosRepo: FakeVideosRepo;
  let worker: RecordingImportWorker;
  let events: { manager: EntityManager; events: ProductEvent[] }[];
  let outboxFails: boolean;
  const counted = { imported: 0, failed: 0 };
  const streamId = randomUUID();
  const ownerId = randomUUID();
  const streamDto = (id: string): StreamDto => ({
    id,
    ownerId,
    title: 'Talk',
    status: 'ended',
    access: 'public',
    roomId: null,
    viewers: 0,
    startedAt: null,
    endedAt: null,
    createdAt: new Date(0).toISOString(),
  });

  beforeAll(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'onair-worker-unit-')));
    clip = path.join(root, 'fixture.flv');
    await makeClip(clip, 2, 'flv');
  }, 60_000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(root, 'data-'));
    recDir = fs.mkdtempSync(path.join(root, 'rec-'));
    const config = loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'test', RECORDINGS_DIR: recDir });
    const files = new VideoFileStore(config);
    await files.onModuleInit();
    videosRepo = new FakeVideosRepo();
    const videos = new VideosService(fakeOf(VideosRepository, videosRepo), files, config);
    jobs = new FakeJobs();
    events = [];
    outboxFails = false;
    counted.imported = 0;
    counted.failed = 0;
    const outbox: ProductEventOutbox = {
      append(manager, evs) {
        if (outboxFails) return Promise.reject(new Error('outbox insert failed'));
        events.push({ manager, events: evs });
        return Promise.resolve();
      },
    };
    const streams = fakeOf(StreamsService, {
      get: (id: string) => Promise.resolve(streamDto(id)),
    });
    const metrics = fakeMetrics({
      recordingImported: () => counted.imported++,
      recordingFailed: () => counted.failed++,
    });
    const moduleRef = fakeModuleRef([[ProductEventOutbox, outbox]]);
    worker = new RecordingImportWorker(
      config,
      fakeOf(RecordingImportsRepository, jobs),
      videos,
      files,
      streams,
      metrics,
      moduleRef,
    );
    worker.onModuleInit();
  });
  afterEach(async () => worker.beforeApplicationShutdown());

  const queue = () => {
    const file = path.join(recDir, `${randomUUID()}.flv`);
    fs.copyFileSync(clip, file);
    jobs.job = {
      id: randomUUID(),
      streamId,
      server: 'nginx-rtmp',
      path: file,
      status: 'pending',
      attempts: 0,
      runAfter: new Date(),
      claimToken: null,
      leaseUntil: null,
      error: null,
      videoId: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    worker.kick();
    return file;
  };
  /**
   * The job's last outcome once the worker is done with it (the fake records completeIn inside
   * the transaction, before a failing outbox append rolls it back and the job is retried).
   */
  const settled = () =>
    until(() => (worker['active'].size === 0 ? jobs.outcome : undefined), {
      timeoutMs: 20_000,
      message: 'the job never settled',
    });
  /** Everything in DATA_DIR/videos, temporary files included. */
  const videoFiles = () => fs.readdirSync(path.join(dataDir, 'videos'));

  it('appends recording.ready in the same transaction that stores the video and completes the job', async () => {
    const file = queue();
    expect((await settled()).status).toBe('done');
    expect([...videosRepo.rows.values()]).toHaveLength(1);
    const video = [...videosRepo.rows.values()][0];
    expect(video).toMatchObject({ source: 'recording', streamId, ownerId });
    expect(events).toHaveLength(1);
    expect(events[0].manager).toBe(jobs.outcome!.manager);
    expect(events[0].events).toEqual([
      {
        type: 'recording.ready',
        ownerId,
        data: expect.objectContaining({
          videoId: video.id,
          streamId,
          durationSec: video.durationSec,
        }) as unknown,
      },
    ]);
    expect(counted).toEqual({ imported: 1, failed: 0 });
    expect(fs.existsSync(file)).toBe(false);
    expect(videoFiles()).toEqual([video.id]);
  });

  it('stores nothing when the event cannot be appended: no row, no file, original kept', async () => {
    outboxFails = true;
    const file = queue();
    const outcome = await settled();
    expect(outcome.status).toBe('pending');
    expect(outcome.error).toContain('outbox insert failed');
    expect(videosRepo.rows.size).toBe(0);
    expect(videoFiles()).toEqual([]);
    expect(fs.existsSync(file)).toBe(true);
    expect(counted).toEqual({ imported: 0, failed: 0 });
  });

  it('rolls back when another worker took the job over, and counts nothing', async () => {
    jobs.stillOwned = false;
    const file = queue();
    // The worker got as far as completing, found the job was no longer its own, and stopped.
    await until(() => jobs.completeCalls === 1 && worker['active'].size === 0, {
      timeoutMs: 20_000,
      message: 'the import never reached completion',
    });
    expect(jobs.outcome).toBeUndefined();
    expect(videosRepo.rows.size).toBe(0);
    expect(videoFiles()).toEqual([]);
    expect(events).toEqual([]);
    expect(fs.existsSync(file)).toBe(true);
    expect(counted).toEqual({ imported: 0, failed: 0 });
  });
});
