import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { NotFoundError } from '../common/errors';
import { ProductEventOutbox } from '../common/ports';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { StreamsService } from '../streams/streams.service';
import { MediaToolError, probe, remuxToMp4 } from '../videos/media-tools';
import { VideoFileStore } from '../videos/video-file.store';
import { VideosService } from '../videos/videos.service';
import type { RecordingImportEntity } from './recording-import.entity';
import { RecordingImportsRepository } from './recording-imports.repository';
import { checkRecordingPath } from './recording-path';

/** A claimed job not renewed for this long belongs to a worker that is gone. */
export const LEASE_MS = 30_000;
const RENEW_EVERY_MS = 10_000;
/** Looks for due jobs (retries, jobs other instances left behind) this often. */
const POLL_MS = 10_000;
const PROBE_TIMEOUT_MS = 30_000;
/** Passing faults (database, disk) are retried this many times in all, with back-off. */
export const MAX_ATTEMPTS = 3;
const RETRY_BASE_MS = 5_000;

/** A job that cannot succeed however often it is tried (bad file, refused path, stream gone). */
class ImportRefused extends Error {}
/** This worker no longer owns the job (another instance re-claimed it); nothing to record. */
class ClaimLost extends Error {}

/**
 * Imports recordings in the background: a bounded number at a time per instance
 * (RECORDINGS_CONCURRENCY), claimed from the recording_imports table so that jobs survive a
 * restart and each is done by one instance. Per job: re-check the path, remux to MP4 into
 * DATA_DIR/videos, probe the result, then store the video (and its recording.ready event) in
 * one transaction and remove the original.
 */
@Injectable()
export class RecordingImportWorker
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly log = new Logger('RecordingImportWorker');
  private readonly active = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private pumping = false;
  private pumpAgain = false;
  private stopping = false;
  private timer?: NodeJS.Timeout;
  private outbox?: ProductEventOutbox;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly jobs: RecordingImportsRepository,
    private readonly videos: VideosService,
    private readonly files: VideoFileStore,
    private readonly streams: StreamsService,
    private readonly metrics: MetricsService,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    // Offered by webhooks when that feature is present; without it no event is kept.
    try {
      this.outbox = this.moduleRef.get(ProductEventOutbox, { strict: false });
    } catch {
      this.outbox = undefined;
    }
  }

  /** Resumes what a previous run (or a dead instance) left pending, then keeps polling. */
  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  /**
   * Running imports are stopped (ffmpeg killed, temporary output removed) and handed back as
   * pending, so the next start, or another instance, does them; the database is still open here.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    for (const job of this.active.values()) job.abort.abort();
    await Promise.allSettled([...this.active.values()].map((j) => j.done));
  }

  /** Looks for work now (a new job was queued, one finished, or the poll timer fired). */
  kick(): void {
    if (this.stopping) return;
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (!this.stopping && this.active.size < this.config.recordings.concurrency) {
          const token = randomBytes(16).toString('hex');
          const job = await this.jobs.claimNext(token, new Date(), LEASE_MS);
          if (!job) break;
          this.start(job, token);
        }
      } while (this.pumpAgain && !this.stopping);
    } catch (err) {
      this.log.warn({ err }, 'Could not claim recording imports; retrying on the next poll');
    } finally {
      this.pumping = false;
    }
  }

  private start(job: RecordingImportEntity, token: string): void {
    const abort = new AbortController();
    const renew = setInterval(() => {
      this.jobs
        .renew(job.id, token, new Date(Date.now() + LEASE_MS))
        .then((owned) => {
          if (!owned) abort.abort();
        })
        .catch((err: unknown) => this.log.warn({ err, jobId: job.id }, 'Lease renewal failed'));
    }, RENEW_EVERY_MS);
    renew.unref();
    const done = this.run(job, token, abort.signal).finally(() => {
      clearInterval(renew);
      this.active.delete(job.id);
      this.kick();
    });
    this.active.set(job.id, { abort, done });
  }

  private async run(job: RecordingImportEntity, token: string, signal: AbortSignal): Promise<void> {
    const ctx = { jobId: job.id, streamId: job.streamId, file: job.path, attempt: job.attempts };
    if (job.attempts > MAX_ATTEMPTS) {
      // Claimed again and again without finishing: its worker keeps dying on it.
      return this.giveUp(job, token, ctx, `gave up after ${job.attempts - 1} attempts`);
    }
    const reserved = this.files.reserve();
    try {
      const video = await this.importOnce(job, token, reserved, signal);
      this.metrics.recordingImported();
      this.log.log(
        { ...ctx, videoId: video.id, durationSec: video.durationSec, size: video.size },
        'Recording imported as a video',
      );
    } catch (err) {
      await fs.rm(reserved.tmpPath, { force: true }).catch(() => undefined);
      if (err instanceof ClaimLost || (signal.aborted && !this.stopping)) {
        this.log.warn(ctx, 'Recording import was taken over by another worker');
      } else if (signal.aborted && this.stopping) {
        await this.jobs
          .release(job.id, token, new Date(), null)
          .catch((e: unknown) => this.log.warn({ err: e, ...ctx }, 'Could not release a job'));
        this.log.log(ctx, 'Recording import interrupted by shutdown; it will be resumed');
      } else if (err instanceof ImportRefused || err instanceof MediaToolError) {
        const detail = err instanceof MediaToolError ? err.detail : undefined;
        await this.giveUp(job, token, { ...ctx, detail }, err.message);
      } else if (job.attempts < MAX_ATTEMPTS) {
        const delay = RETRY_BASE_MS * 2 ** (job.attempts - 1);
        this.log.warn({ err, ...ctx, retryInMs: delay }, 'Recording import failed; will retry');
        await this.jobs
          .release(job.id, token, new Date(Date.now() + delay), String(err))
          .catch((e: unknown) => this.log.warn({ err: e, ...ctx }, 'Could not release a job'));
      } else {
        this.log.error({ err, ...ctx }, 'Recording import failed');
        await this.giveUp(job, token, ctx, `failed after ${job.attempts} attempts: ${String(err)}`);
      }
    }
  }

  private async giveUp(
    job: RecordingImportEntity,
    token: string,
    ctx: Record<string, unknown>,
    reason: string,
  ): Promise<void> {
    this.metrics.recordingFailed();
    this.log.error(
      { ...ctx, reason },
      'Recording not imported; the original file is kept where it is',
    );
    await this.jobs
      .fail(job.id, token, reason)
      .catch((err: unknown) =>
        this.log.warn({ err, jobId: job.id }, 'Could not mark a job failed'),
      );
  }

  private async importOnce(
    job: RecordingImportEntity,
    token: string,
    reserved: { name: string; tmpPath: string },
    signal: AbortSignal,
  ) {
    const stream = await this.streams.get(job.streamId).catch((err: unknown) => {
      throw err instanceof NotFoundError ? new ImportRefused('the stream does not exist') : err;
    });
    // Checked again: the file may have changed since the hook, and only its real path counts.
    const checked = await checkRecordingPath(this.config.recordings.dir, job.path);
    if (!checked.ok) throw new ImportRefused(`recording path refused: ${checked.reason}`);
    if (checked.realPath !== job.path)
      throw new ImportRefused('recording path refused: it now resolves elsewhere');

    await remuxToMp4(checked.realPath, checked.demuxer, reserved.tmpPath, {
      timeoutMs: this.config.recordings.remuxTimeoutSec * 1000,
      signal,
    });
    const probed = await probe(reserved.tmpPath, 'mov', { timeoutMs: PROBE_TIMEOUT_MS, signal });
    if (probed.avStreams === 0) throw new ImportRefused('the recording has no audio or video');
    if (signal.aborted) throw new Error('aborted');

    // The report arrives when recording ends, so it started `duration` earlier.
    const startedAt = new Date(job.createdAt.getTime() - (probed.durationSec ?? 0) * 1000);
    const video = await this.videos.adoptRecording(
      {
        reserved,
        ownerId: stream.ownerId,
        streamId: stream.id,
        title: recordingTitle(stream.title, startedAt),
        durationSec: probed.durationSec,
      },
      async (manager, v) => {
        if (!(await this.jobs.completeIn(manager, job.id, token, v.id))) throw new ClaimLost();
        await this.outbox?.append(manager, [
          {
            type: 'recording.ready',
            ownerId: stream.ownerId,
            data: {
              videoId: v.id,
              streamId: stream.id,
              title: v.title,
              durationSec: v.durationSec,
              size: v.size,
              contentType: v.contentType,
              createdAt: v.createdAt,
            },
          },
        ]);
      },
    );
    await this.removeOriginal(checked, job);
    return video;
  }

  /** Only the file that was imported: not a file swapped in under the same name since. */
  private async removeOriginal(
    checked: { realPath: string; ino: number; dev: number },
    job: RecordingImportEntity,
  ): Promise<void> {
    try {
      const again = await checkRecordingPath(this.config.recordings.dir, checked.realPath);
      if (
        !again.ok ||
        again.realPath !== checked.realPath ||
        again.ino !== checked.ino ||
        again.dev !== checked.dev
      ) {
        this.log.warn({ jobId: job.id, file: job.path }, 'Original changed; left in place');
        return;
      }
      await fs.unlink(checked.realPath);
    } catch (err) {
      this.log.warn(
        { err, jobId: job.id, file: job.path },
        'Recording imported but its original could not be removed',
      );
    }
  }
}

/** "Tech talk · 2026-12-01 15:20 UTC" */
export function recordingTitle(streamTitle: string, startedAt: Date): string {
  const when = startedAt.toISOString().slice(0, 16).replace('T', ' ');
  return `${streamTitle} · ${when} UTC`.slice(0, 200);
}
