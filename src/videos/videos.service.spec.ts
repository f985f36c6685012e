import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { AuthUser } from '../auth/auth.types';
import {
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from '../common/errors';
import { loadConfig } from '../config/app-config';
import { MemoryProgressStore } from './memory-progress.store';
import { ProgressService } from './progress.service';
import { VideoFileStore } from './video-file.store';
import type { VideoEntity } from './video.entity';
import { type NewVideo, VideosRepository } from './videos.repository';
import { UploadPart, VideosService } from './videos.service';
import { fakeOf } from '../../test/helpers/fakes';
import { until } from '../../test/helpers/wait';

class FakeRepo implements Pick<VideosRepository, 'create' | 'findById' | 'deleteById'> {
  rows = new Map<string, VideoEntity>();
  failCreate = false;
  create(input: NewVideo): Promise<VideoEntity> {
    if (this.failCreate) return Promise.reject(new Error('insert failed'));
    const now = new Date();
    const row = { ...input, createdAt: now, updatedAt: now } as VideoEntity;
    this.rows.set(row.id, row);
    return Promise.resolve(row);
  }
  findById(id: string): Promise<VideoEntity | null> {
    return Promise.resolve(this.rows.get(id) ?? null);
  }
  deleteById(id: string): Promise<boolean> {
    return Promise.resolve(this.rows.delete(id));
  }
}

const owner: AuthUser = { id: randomUUID(), username: 'owner', displayName: 'Owner', role: 'user' };
const other: AuthUser = { id: randomUUID(), username: 'other', displayName: 'Other', role: 'user' };
const admin: AuthUser = { id: randomUUID(), username: 'root', displayName: 'Root', role: 'admin' };

function mp4(n: number): Buffer {
  const b = randomBytes(n);
  b.writeUInt32BE(0x20, 0);
  b.write('ftypisom', 4, 'latin1');
  return b;
}

/** Splits a buffer into small chunks, as a socket would deliver it. */
function chunked(buf: Buffer, size = 7000): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
  return Readable.from(chunks, { objectMode: false });
}

async function* parts(...items: UploadPart[]): AsyncGenerator<UploadPart> {
  for (const p of items) yield p;
}

const title = (value: string): UploadPart => ({
  kind: 'field',
  name: 'title',
  value,
  truncated: false,
});
const file = (buf: Buffer, mediaType = 'video/mp4', name = 'file'): UploadPart => ({
  kind: 'file',
  name,
  mediaType,
  stream: chunked(buf),
});

describe('VideosService', () => {
  let dir: string;
  let repo: FakeRepo;
  let store: VideoFileStore;
  let service: VideosService;
  const maxUploadBytes = 64 * 1024;

  const stored = () => fs.readdirSync(path.join(dir, 'videos'));

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-videos-unit-'));
    const config = { ...loadConfig({ DATA_DIR: dir, NODE_ENV: 'test' }), maxUploadBytes };
    repo = new FakeRepo();
    store = new VideoFileStore(config);
    await store.onModuleInit();
    service = new VideosService(fakeOf(VideosRepository, repo), store, config);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['title before the file', (buf: Buffer) => parts(title('  My clip  '), file(buf))],
    ['title after the file', (buf: Buffer) => parts(file(buf), title('  My clip  '))],
  ])(
    'stores an upload with %s under a server-chosen name with its size and sha256',
    async (_name, make) => {
      const buf = mp4(50_000);
      const dto = await service.upload(owner, make(buf));
      expect(dto).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        title: 'My clip',
        size: buf.length,
        contentType: 'video/mp4',
        ownerId: owner.id,
        // Random bytes behind an ftyp box: no duration to read, and the upload still succeeds.
        durationSec: null,
        source: 'upload',
        streamId: null,
        createdAt: expect.any(String),
      });
      expect(stored()).toEqual([dto.id]);
      expect(fs.readFileSync(path.join(dir, 'videos', dto.id)).equals(buf)).toBe(true);
      expect(repo.rows.get(dto.id)).toMatchObject({
        storageName: dto.id,
        sha256: createHash('sha256').update(buf).digest('hex'),
      });
    },
  );

  it('accepts a file of exactly the limit and refuses one byte more (413), keeping nothing', async () => {
    await expect(
      service.upload(owner, parts(title('exact'), file(mp4(maxUploadBytes)))),
    ).resolves.toMatchObject({ size: maxUploadBytes });
    await expect(
      service.upload(owner, parts(title('over'), file(mp4(maxUploadBytes + 1)))),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(stored()).toHaveLength(1);
    expect(repo.rows.size).toBe(1);
  });

  it('refuses a declared type that is not video/* or not supported (415) without reading the file', async () => {
    for (const type of [
      'application/octet-stream',
      'text/html',
      'image/png',
      undefined,
      'video/x-msvideo',
    ]) {
      const stream = chunked(mp4(1000));
      await expect(
        service.upload(
          owner,
          parts(title('t'), { kind: 'file', name: 'file', mediaType: type, stream }),
        ),
      ).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
    }
    expect(stored()).toEqual([]);
    expect(repo.rows.size).toBe(0);
  });

  it('refuses content that does not match the declared container (415), keeping nothing', async () => {
    const ebml = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), randomBytes(5000)]);
    await expect(
      service.upload(owner, parts(title('t'), file(ebml, 'video/mp4'))),
    ).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
    await expect(
      service.upload(owner, parts(title('t'), file(mp4(5000), 'video/webm'))),
    ).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
    await expect(
      service.upload(
        owner,
        parts(title('t'), file(Buffer.from('<html>not a video</html>'), 'video/mp2t')),
      ),
    ).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
    await expect(
      service.upload(owner, parts(title('t'), file(ebml, 'video/webm'))),
    ).resolves.toMatchObject({ contentType: 'video/webm' });
    expect(stored()).toHaveLength(1);
  });

  it('refuses unknown fields, a missing or bad title, a missing or empty file (400), keeping nothing', async () => {
    const cases: [string, () => AsyncIterable<UploadPart>][] = [
      [
        'unknown field first',
        () =>
          parts(
            { kind: 'field', name: 'role', value: 'admin', truncated: false },
            title('t'),
            file(mp4(1000)),
          ),
      ],
      [
        'unknown field after the file',
        () =>
          parts(title('t'), file(mp4(1000)), {
            kind: 'field',
            name: 'ownerId',
            value: other.id,
            truncated: false,
          }),
      ],
      ['file under another name', () => parts(title('t'), file(mp4(1000), 'video/mp4', 'video'))],
      ['no title', () => parts(file(mp4(1000)))],
      ['blank title', () => parts(file(mp4(1000)), title('   '))],
      ['long title', () => parts(title('x'.repeat(201)), file(mp4(1000)))],
      [
        'truncated title',
        () => parts({ kind: 'field', name: 'title', value: 'x', truncated: true }, file(mp4(1000))),
      ],
      ['title twice', () => parts(title('a'), file(mp4(1000)), title('b'))],
      ['no file', () => parts(title('t'))],
      ['empty file', () => parts(title('t'), file(Buffer.alloc(0)))],
      ['two files', () => parts(title('t'), file(mp4(1000)), file(mp4(1000)))],
    ];
    for (const [name, make] of cases) {
      const err = await service.upload(owner, make()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect({ name, isValidation: err instanceof ValidationFailedError }).toEqual({
        name,
        isValidation: true,
      });
    }
    expect(stored()).toEqual([]);
    expect(repo.rows.size).toBe(0);
    expect(
      await service.upload(owner, parts(title('x'.repeat(200)), file(mp4(1000)))),
    ).toMatchObject({ title: 'x'.repeat(200) });
  });

  it('leaves no partial file when the client disconnects mid-upload', async () => {
    const stream = new PassThrough();
    const done = service.upload(
      owner,
      parts(title('t'), { kind: 'file', name: 'file', mediaType: 'video/mp4', stream }),
    );
    // Like @fastify/multipart, which listens for errors on the file stream from the start.
    stream.on('error', () => undefined);
    stream.write(mp4(30_000));
    const tmpSize = () =>
      stored()
        .filter((f) => f.startsWith('.tmp-'))
        .map((f) => fs.statSync(path.join(dir, 'videos', f)).size)[0] ?? 0;
    await until(() => tmpSize() > 0, { message: 'the upload never reached the disk' });
    stream.destroy(new Error('aborted'));
    await expect(done).rejects.toThrow('aborted');
    expect(stored()).toEqual([]);
    expect(repo.rows.size).toBe(0);
  });

  it('removes the stored file when the row cannot be inserted', async () => {
    repo.failCreate = true;
    await expect(service.upload(owner, parts(title('t'), file(mp4(1000))))).rejects.toThrow(
      'insert failed',
    );
    expect(stored()).toEqual([]);
  });

  it('lets only the owner or an admin delete, removing row and file', async () => {
    const a = await service.upload(owner, parts(title('a'), file(mp4(1000))));
    const b = await service.upload(owner, parts(title('b'), file(mp4(1000))));
    await expect(service.remove(other, a.id)).rejects.toBeInstanceOf(ForbiddenError);
    expect(stored().sort()).toEqual([a.id, b.id].sort());
    await service.remove(owner, a.id);
    await service.remove(admin, b.id);
    expect(stored()).toEqual([]);
    expect(repo.rows.size).toBe(0);
    await expect(service.remove(owner, a.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses storage names that are not server-chosen UUIDs', () => {
    for (const name of ['../onair.sqlite', '/etc/passwd', '.tmp-x', '', 'a/b'])
      expect(() => store.pathOf(name)).toThrow();
  });

  describe('progress', () => {
    it('rejects a position beyond a known duration and 404s unknown videos', async () => {
      const progress = new ProgressService(service, new MemoryProgressStore());
      const v = await service.upload(owner, parts(title('a'), file(mp4(1000))));
      await expect(progress.get(other, v.id)).rejects.toBeInstanceOf(NotFoundError);
      await progress.update(other, v.id, { positionSec: 5000, paused: true });
      repo.rows.get(v.id)!.durationSec = 120;
      await expect(
        progress.update(other, v.id, { positionSec: 120.5, paused: false }),
      ).rejects.toBeInstanceOf(ValidationFailedError);
      await progress.update(other, v.id, { positionSec: 120, paused: false });
      await expect(progress.get(other, v.id)).resolves.toMatchObject({
        positionSec: 120,
        paused: false,
      });
      await expect(
        progress.update(other, randomUUID(), { positionSec: 1, paused: false }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
