import { Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { canManage, type AuthUser } from '../auth/auth.types';
import {
  ForbiddenError,
  NotFoundError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from '../common/errors';
import { decodeCursor, Page, PageQueryDto, toPage } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { ListVideosQueryDto, validateVideoFields, VideoDto } from './dto/video.dto';
import { Demuxer, probe } from './media-tools';
import { StagedFile, VideoFileStore } from './video-file.store';
import {
  ContainerFamily,
  detectContainer,
  normaliseMediaType,
  SUPPORTED_VIDEO_TYPES,
} from './video-signature';
import type { VideoEntity } from './video.entity';
import { VideosRepository } from './videos.repository';

/** One part of an upload, transport-neutral (the controller adapts multipart parts to this). */
export type UploadPart =
  | { kind: 'field'; name: string; value: string; truncated: boolean }
  | { kind: 'file'; name: string; mediaType: string | undefined; stream: Readable };

export const UPLOAD_FIELDS = ['title'] as const;
export const UPLOAD_FILE_FIELD = 'file';

const SUPPORTED_LIST = Object.keys(SUPPORTED_VIDEO_TYPES).join(', ');

/** The demuxer ffprobe must use for each accepted container (never its own guess). */
const DEMUXER: Record<ContainerFamily, Demuxer> = {
  'iso-bmff': 'mov',
  matroska: 'matroska',
  'mpeg-ts': 'mpegts',
};

/** How long an upload may wait for ffprobe before it is stored without a duration. */
export const UPLOAD_PROBE_TIMEOUT_MS = 10_000;

/** A remuxed recording ready to become a video (see adoptRecording). */
export interface RecordingFile {
  /** From VideoFileStore.reserve(), already written (MP4). */
  reserved: { name: string; tmpPath: string };
  ownerId: string;
  streamId: string;
  title: string;
  durationSec: number | null;
}

@Injectable()
export class VideosService {
  private readonly logger = new Logger('VideosService');

  constructor(
    private readonly videos: VideosRepository,
    private readonly files: VideoFileStore,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Receives an upload: the file is streamed to disk while hashed and counted (never held in
   * memory), its first bytes checked against the declared type, and only a complete, accepted
   * file becomes a video. `title` may come before or after the file. Any failure (bad field,
   * refused type, limit, client gone) leaves neither a file nor a row.
   */
  async upload(owner: AuthUser, parts: AsyncIterable<UploadPart>): Promise<VideoDto> {
    const fields: Record<string, string> = {};
    let staged: StagedFile | undefined;
    let contentType: string | undefined;
    try {
      for await (const part of parts) {
        if (part.kind === 'field') {
          if (!(UPLOAD_FIELDS as readonly string[]).includes(part.name)) {
            throw new ValidationFailedError([
              part.name === UPLOAD_FILE_FIELD
                ? 'file must be a file part (with a filename)'
                : `property ${part.name} should not exist`,
            ]);
          }
          if (part.name in fields)
            throw new ValidationFailedError([`${part.name} must be sent only once`]);
          if (part.truncated)
            throw new ValidationFailedError([
              `${part.name} must be shorter than or equal to 200 characters`,
            ]);
          fields[part.name] = part.value;
          // Fail before reading a possibly huge file when the title is already wrong.
          validateVideoFields(fields);
          continue;
        }
        if (part.name !== UPLOAD_FILE_FIELD)
          throw new ValidationFailedError([
            `property ${part.name} should not exist (the video goes in "file")`,
          ]);
        if (staged) throw new ValidationFailedError(['only one file may be uploaded']);
        const type = this.acceptedType(part.mediaType);
        const family = SUPPORTED_VIDEO_TYPES[type];
        contentType = type;
        staged = await this.files.stage(part.stream, {
          maxBytes: this.config.maxUploadBytes,
          inspectHead: (head) => checkHead(head, family, type),
        });
      }
      if (!staged || contentType === undefined)
        throw new ValidationFailedError(['file is required (a multipart part named "file")']);
      if (!('title' in fields)) throw new ValidationFailedError(['title is required']);
      const { title } = validateVideoFields(fields);

      const { size, sha256 } = staged;
      const durationSec = await this.durationOf(staged.tmpPath, SUPPORTED_VIDEO_TYPES[contentType]);
      // The file takes the server-chosen name that is also the video's id, so an operator can
      // match DATA_DIR/videos/<id> to its row at a glance.
      const storageName = await this.files.commit(staged);
      staged = undefined;
      try {
        const row = await this.videos.create({
          id: storageName,
          ownerId: owner.id,
          title,
          size,
          contentType,
          storageName,
          sha256,
          durationSec,
          source: 'upload',
          streamId: null,
        });
        return VideoDto.from(row);
      } catch (err) {
        await this.files
          .remove(storageName)
          .catch((e: unknown) =>
            this.logger.error(
              { err: e, storageName },
              'Could not remove the file of a failed upload',
            ),
          );
        throw err;
      }
    } finally {
      if (staged)
        await this.files
          .discard(staged)
          .catch((e: unknown) =>
            this.logger.error({ err: e }, 'Could not remove a refused upload'),
          );
    }
  }

  async list(query: ListVideosQueryDto): Promise<Page<VideoDto>> {
    const limit = query.limit ?? 20;
    const rows = await this.videos.listNewestFirst({
      ownerId: query.ownerId,
      cursor: decodeCursor(query.cursor),
      limit,
    });
    return toPage(rows, limit, (r) => VideoDto.from(r));
  }

  /** Videos recorded from a stream, newest first (the caller checked that the stream exists). */
  async listRecordings(streamId: string, query: PageQueryDto): Promise<Page<VideoDto>> {
    const limit = query.limit ?? 20;
    const rows = await this.videos.listRecordingsOfStream({
      streamId,
      cursor: decodeCursor(query.cursor),
      limit,
    });
    return toPage(rows, limit, (r) => VideoDto.from(r));
  }

  /**
   * Turns a remuxed recording into a video: the file takes its final name, then ONE transaction
   * inserts the row and runs `within` (the caller marks its job done, appends events). When the
   * transaction fails the file is removed again, so a video row and its file exist together or
   * not at all. The temporary file is the caller's to discard when this throws before commit.
   */
  async adoptRecording(
    file: RecordingFile,
    within: (manager: EntityManager, video: VideoDto) => Promise<void>,
  ): Promise<VideoDto> {
    const staged = await this.files.seal(file.reserved);
    const storageName = await this.files.commit(staged);
    try {
      return await this.videos.transaction(async (manager) => {
        const row = await this.videos.createIn(manager, {
          id: storageName,
          ownerId: file.ownerId,
          title: file.title,
          size: staged.size,
          contentType: 'video/mp4',
          storageName,
          sha256: staged.sha256,
          durationSec: file.durationSec,
          source: 'recording',
          streamId: file.streamId,
        });
        const dto = VideoDto.from(row);
        await within(manager, dto);
        return dto;
      });
    } catch (err) {
      await this.files
        .remove(storageName)
        .catch((e: unknown) =>
          this.logger.error(
            { err: e, storageName },
            'Could not remove the file of a failed import',
          ),
        );
      throw err;
    }
  }

  async get(id: string): Promise<VideoDto> {
    return VideoDto.from(await this.require(id));
  }

  /** The row behind a playback request (404 when it does not exist). */
  require(id: string): Promise<VideoEntity> {
    return this.videos.findById(id).then((v) => {
      if (!v) throw new NotFoundError('Video');
      return v;
    });
  }

  /** Owner or admin. The row goes first: a file without a row is invisible, a row without a file is a broken video. */
  async remove(user: AuthUser, id: string): Promise<void> {
    const video = await this.require(id);
    if (!canManage(user, video.ownerId))
      throw new ForbiddenError('Only the owner or an admin can delete this video');
    await this.videos.deleteById(id);
    await this.files
      .remove(video.storageName)
      .catch((err: unknown) =>
        this.logger.error(
          { err, storageName: video.storageName },
          'Video row deleted but its file could not be removed',
        ),
      );
  }

  /**
   * Duration by ffprobe, bounded in time; null when it cannot tell. A video we cannot probe is
   * still a valid upload (the container was already checked), so this never fails one.
   */
  private async durationOf(file: string, family: ContainerFamily): Promise<number | null> {
    try {
      return (await probe(file, DEMUXER[family], { timeoutMs: UPLOAD_PROBE_TIMEOUT_MS }))
        .durationSec;
    } catch (err) {
      this.logger.warn({ err }, 'Could not read the duration of an upload; stored without one');
      return null;
    }
  }

  private acceptedType(declared: string | undefined): string {
    const type = normaliseMediaType(declared);
    if (!type || !type.startsWith('video/'))
      throw new UnsupportedMediaTypeError(
        `file must be a video (video/*), got ${type ?? 'no type'}; set the part's Content-Type`,
      );
    if (!(type in SUPPORTED_VIDEO_TYPES))
      throw new UnsupportedMediaTypeError(`${type} is not supported; use one of ${SUPPORTED_LIST}`);
    return type;
  }
}

function checkHead(head: Buffer, family: ContainerFamily, type: string): void {
  if (head.length === 0) throw new ValidationFailedError(['file must not be empty']);
  if (detectContainer(head) !== family)
    throw new UnsupportedMediaTypeError(`file content is not ${type}`);
}
