import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../common/errors';
import { PageQueryDto, Page } from '../common/pagination';
import { RecordingIntake, RecordingReport } from '../common/ports';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { parseUuid } from '../common/uuid.pipe';
import { StreamsService } from '../streams/streams.service';
import type { VideoDto } from '../videos/dto/video.dto';
import { VideosService } from '../videos/videos.service';
import { RecordingImportWorker } from './recording-import.worker';
import { RecordingImportsRepository } from './recording-imports.repository';
import { checkRecordingPath } from './recording-path';

/**
 * Takes recordings reported by the media server and lists a stream's recordings. A report is
 * checked (stream exists, real path inside RECORDINGS_DIR, a regular file) and persisted as a
 * job before the hook is answered; the import itself runs in RecordingImportWorker.
 */
@Injectable()
export class RecordingsService implements RecordingIntake {
  private readonly log = new Logger('RecordingsService');

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly jobs: RecordingImportsRepository,
    private readonly worker: RecordingImportWorker,
    private readonly streams: StreamsService,
    private readonly videos: VideosService,
    private readonly metrics: MetricsService,
  ) {}

  async accept(report: RecordingReport): Promise<void> {
    const ctx = { server: report.server, stream: report.streamName, file: report.path };
    if (this.config.recordings.dir === undefined)
      return this.refuse(ctx, 'RECORDINGS_DIR is not set, so recordings are not imported');
    const streamId = parseUuid(report.streamName);
    if (streamId === null || !(await this.streamExists(streamId)))
      return this.refuse(ctx, 'no stream has this name');
    const checked = await checkRecordingPath(this.config.recordings.dir, report.path);
    if (!checked.ok) return this.refuse(ctx, `path refused: ${checked.reason}`);

    const id = randomUUID();
    await this.jobs.enqueue({ id, streamId, server: report.server, path: checked.realPath });
    this.log.log({ ...ctx, jobId: id }, 'Recording queued for import');
    this.worker.kick();
  }

  /** 404 for an unknown stream, like GET /streams/:id. */
  async listForStream(streamId: string, query: PageQueryDto): Promise<Page<VideoDto>> {
    await this.streams.get(streamId);
    return this.videos.listRecordings(streamId, query);
  }

  private async streamExists(id: string): Promise<boolean> {
    try {
      await this.streams.get(id);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  private refuse(ctx: Record<string, unknown>, reason: string): void {
    this.metrics.recordingFailed();
    this.log.warn({ ...ctx, reason }, 'Recording refused; the file is left where it is');
  }
}
