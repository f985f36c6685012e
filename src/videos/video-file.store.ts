import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PayloadTooLargeError, ServiceUnavailableError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { SNIFF_BYTES } from './video-signature';

/** A file received completely into a temporary name, not yet visible as a video. */
export interface StagedFile {
  /** Server-chosen name the file gets on commit (a UUID; also the new video's id). */
  readonly name: string;
  readonly tmpPath: string;
  readonly size: number;
  /** Hex sha256 of the content. */
  readonly sha256: string;
}

export interface StageOptions {
  maxBytes: number;
  /** Called once with the first SNIFF_BYTES bytes (fewer when the file is shorter); throw to refuse. */
  inspectHead(head: Buffer): void;
}

const STORED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TMP_PREFIX = '.tmp-';
/** Temporary files untouched this long belong to no live upload (a crash, a kill -9). */
const STALE_TMP_MS = 6 * 3600 * 1000;

/** Holds the first bytes back until `inspect` accepted them, so a refused file never reaches disk. */
class HeadGate extends Transform {
  private head: Buffer[] = [];
  private headBytes = 0;
  private passed = false;

  constructor(private readonly inspect: (head: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.passed) return cb(null, chunk);
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < SNIFF_BYTES) return cb();
    this.release(cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.passed) return cb();
    this.release(cb);
  }

  private release(cb: TransformCallback): void {
    const all = Buffer.concat(this.head);
    this.head = [];
    try {
      this.inspect(all.subarray(0, SNIFF_BYTES));
    } catch (err) {
      return cb(err as Error);
    }
    this.passed = true;
    cb(null, all.length ? all : undefined);
  }
}

/** Hashes and counts what flows through; refuses to pass more than `max` bytes. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max)
      return cb(
        new PayloadTooLargeError(`file is larger than the upload limit of ${this.max} bytes`),
      );
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

/**
 * The only code that touches video files. Everything lives in one flat directory,
 * `DATA_DIR/videos`, under server-chosen UUID names; uploads are written to `.tmp-<uuid>` and
 * renamed into place only once complete, so a reader never sees a partial file.
 */
@Injectable()
export class VideoFileStore implements OnModuleInit {
  private readonly logger = new Logger('VideoFileStore');
  readonly dir: string;

  constructor(@InjectConfig() config: AppConfig) {
    this.dir = path.join(config.dataDir, 'videos');
  }

  async onModuleInit(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await this.sweepStaleTemporaries();
  }

  /**
   * Streams `source` to a temporary file while hashing and counting it (constant memory). On any
   * failure (client gone, limit hit, refused head, disk error) the temporary file is removed and
   * the error rethrown.
   */
  async stage(source: Readable, opts: StageOptions): Promise<StagedFile> {
    const name = randomUUID();
    const tmpPath = path.join(this.dir, TMP_PREFIX + name);
    // Open first (exclusive create) so that a failure can never race a pending open and leave
    // a file behind after we removed it.
    // Readable by all: the content is public (anyone may GET it), and with
    // VIDEO_ACCEL_REDIRECT_PREFIX a proxy running as another user sends the file itself.
    const handle = await fs.open(tmpPath, 'wx', 0o644).catch((err: unknown) => {
      throw storageError(err);
    });
    const meter = new Meter(opts.maxBytes);
    try {
      // The write stream owns (and closes) the handle.
      await pipeline(
        source,
        new HeadGate((head) => opts.inspectHead(head)),
        meter,
        handle.createWriteStream(),
      );
      // Durable before the row that points at it exists: a crash must not leave a row whose
      // file is missing its tail. fsync works on the inode, so a fresh descriptor will do.
      const again = await fs.open(tmpPath, 'r');
      try {
        await again.datasync();
      } finally {
        await again.close();
      }
      return { name, tmpPath, size: meter.bytes, sha256: meter.hash.digest('hex') };
    } catch (err) {
      source.destroy();
      await handle.close().catch(() => undefined);
      await fs
        .rm(tmpPath, { force: true })
        .catch((e: unknown) =>
          this.logger.error({ err: e, file: tmpPath }, 'Could not remove a partial upload'),
        );
      throw storageError(err);
    }
  }

  /**
   * A temporary name for a file another program writes (ffmpeg's remux output); `seal` it once
   * written, or `discard` it.
   */
  reserve(): { name: string; tmpPath: string } {
    const name = randomUUID();
    return { name, tmpPath: path.join(this.dir, TMP_PREFIX + name) };
  }

  /** Hashes, measures and syncs a reserved file written by someone else, ready to `commit`. */
  async seal(reserved: { name: string; tmpPath: string }): Promise<StagedFile> {
    const meter = new Meter(Number.MAX_SAFE_INTEGER);
    const handle = await fs.open(reserved.tmpPath, 'r');
    try {
      await pipeline(handle.createReadStream({ autoClose: false }), meter, async (chunks) => {
        for await (const _ of chunks as AsyncIterable<Buffer>) void _;
      });
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return {
      name: reserved.name,
      tmpPath: reserved.tmpPath,
      size: meter.bytes,
      sha256: meter.hash.digest('hex'),
    };
  }

  /** Makes a staged file visible under its final name (atomic rename in the same directory). */
  async commit(staged: StagedFile): Promise<string> {
    await fs.rename(staged.tmpPath, this.pathOf(staged.name));
    return staged.name;
  }

  async discard(staged: { tmpPath: string }): Promise<void> {
    await fs.rm(staged.tmpPath, { force: true });
  }

  /**
   * Removes a stored file. Readers that already opened it keep streaming the old inode to the end
   * (POSIX unlink semantics); new requests find no row and answer 404.
   */
  async remove(storageName: string): Promise<void> {
    await fs.rm(this.pathOf(storageName), { force: true });
  }

  /** Absolute path of a stored file; refuses anything that is not one of our names. */
  pathOf(storageName: string): string {
    if (!STORED_NAME.test(storageName))
      throw new Error('Refusing a storage name that is not a server-chosen UUID');
    return path.join(this.dir, storageName);
  }

  /** The name as a path relative to `dir`, for @fastify/send (which joins it to `root`). */
  relativePathOf(storageName: string): string {
    this.pathOf(storageName);
    return `/${storageName}`;
  }

  private async sweepStaleTemporaries(): Promise<void> {
    const now = Date.now();
    for (const entry of await fs.readdir(this.dir)) {
      if (!entry.startsWith(TMP_PREFIX)) continue;
      const p = path.join(this.dir, entry);
      try {
        const st = await fs.stat(p);
        if (now - st.mtimeMs > STALE_TMP_MS) {
          await fs.rm(p, { force: true });
          this.logger.warn({ file: entry }, 'Removed an abandoned partial upload');
        }
      } catch {
        // Another replica sharing the directory may have removed it first.
      }
    }
  }
}

/** A full disk is an operator problem the client can retry later, not a bug. */
function storageError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new ServiceUnavailableError('Not enough storage space for this upload, try again later');
  return err;
}
