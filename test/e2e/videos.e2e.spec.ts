/**
 * Videos end to end, in both modes: upload (streamed from a file on disk), list/metadata, range
 * and conditional streaming compared byte for byte, refusals that must leave nothing behind,
 * deletion rules, playback progress, metrics and Swagger.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startApp, TestApp } from '../helpers/app';
import { suiteModes } from '../helpers/modes';
import { until } from '../helpers/wait';

const modes = suiteModes('videos');

const MiB = 1024 * 1024;
const LIMIT = 6 * MiB;

/** Random bytes that sniff as MP4 (an ftyp box first). */
function mp4Bytes(n: number): Buffer {
  const b = randomBytes(n);
  b.writeUInt32BE(0x20, 0);
  b.write('ftypisom', 4, 'latin1');
  return b;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Raw {
  status: number;
  headers: Headers;
  body: Buffer;
  json: any;
}

async function raw(url: string, init: RequestInit = {}): Promise<Raw> {
  const res = await fetch(url, init);
  const body = Buffer.from(await res.arrayBuffer());
  let json: any;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body, json };
}

/** GET/HEAD with a literal path (fetch would normalise `..` away). */
function rawPath(
  base: string,
  p: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: p, method, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe.each(modes)('videos (%s)', (mode) => {
  let t: TestApp;
  let tmp: string;
  let videosDir: string;
  let alice: { token: string; id: string };
  let bob: { token: string; id: string };
  let adminToken: string;
  let original: Buffer;
  let video: {
    id: string;
    title: string;
    size: number;
    contentType: string;
    ownerId: string;
    createdAt: string;
  };
  let contentUrl: string;

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  async function upload(token: string, parts: [string, string | Blob, string?][]): Promise<Raw> {
    const fd = new FormData();
    for (const [name, value, filename] of parts) {
      if (typeof value === 'string') fd.append(name, value);
      else fd.append(name, value, filename ?? 'clip.mp4');
    }
    return raw(`${t.url}/api/v1/videos`, { method: 'POST', body: fd, headers: auth(token) });
  }

  /** What is on disk: must always be exactly the stored videos, never a partial upload. */
  const onDisk = () => fs.readdirSync(videosDir).sort();
  const listIds = async () =>
    ((await t.http.get('/api/v1/videos?limit=100')).body.items as { id: string }[])
      .map((v) => v.id)
      .sort();

  beforeAll(async () => {
    t = await startApp(mode, {
      MAX_UPLOAD_BYTES: String(LIMIT),
      THROTTLE_LIMIT: '100000',
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'root-password-1',
    });
    videosDir = path.join(t.env.DATA_DIR, 'videos');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-videos-e2e-'));
    alice = await t.http.user('alice');
    bob = await t.http.user('bob');
    adminToken = (
      await t.http.post('/api/v1/auth/login', { username: 'root', password: 'root-password-1' })
    ).body.accessToken;

    // A few MiB of random data in a temp file, uploaded straight from disk (title after the file).
    original = mp4Bytes(4 * MiB + 12345);
    const file = path.join(tmp, 'original.mp4');
    fs.writeFileSync(file, original);
    const r = await upload(alice.token, [
      ['file', await fs.openAsBlob(file, { type: 'video/mp4' }), 'my "holiday".mp4'],
      ['title', 'Holiday 2026'],
    ]);
    expect(r.status).toBe(201);
    video = r.json;
    contentUrl = `${t.url}/api/v1/videos/${video.id}/content`;
  });
  afterAll(async () => {
    await t?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('upload and metadata', () => {
    it('answers 201 with exactly the contract fields and stores the file under its id', async () => {
      expect(Object.keys(video).sort()).toEqual([
        'contentType',
        'createdAt',
        'durationSec',
        'id',
        'ownerId',
        'size',
        'source',
        'streamId',
        'title',
      ]);
      // Random bytes behind an ftyp box: ffprobe cannot tell a duration, the upload still works.
      expect(video).toMatchObject({
        title: 'Holiday 2026',
        size: original.length,
        contentType: 'video/mp4',
        ownerId: alice.id,
        durationSec: null,
        source: 'upload',
        streamId: null,
      });
      expect(video.id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(new Date(video.createdAt).toISOString()).toBe(video.createdAt);
      // The client's file name never becomes a path.
      expect(onDisk()).toEqual([video.id]);
      expect(fs.readFileSync(path.join(videosDir, video.id)).equals(original)).toBe(true);
    });

    it('accepts the title before the file too, and webm / mpeg-ts content', async () => {
      const webm = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), randomBytes(3000)]);
      const ts = Buffer.alloc(188 * 4, 0xff);
      for (let i = 0; i < 4; i++) ts[i * 188] = 0x47;
      const a = await upload(bob.token, [
        ['title', 'WebM first'],
        ['file', new Blob([webm], { type: 'video/webm' }), 'a.webm'],
      ]);
      const b = await upload(bob.token, [
        ['title', 'Transport stream'],
        ['file', new Blob([ts], { type: 'video/MP2T' }), 'b.ts'],
      ]);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.json.contentType).toBe('video/webm');
      expect(b.json.contentType).toBe('video/mp2t');
      const got = await raw(`${t.url}/api/v1/videos/${b.json.id}/content`);
      expect(got.headers.get('content-type')).toBe('video/mp2t');
      expect(got.body.equals(ts)).toBe(true);
      expect(onDisk()).toEqual([video.id, a.json.id, b.json.id].sort());
    });

    it('serves metadata and a newest-first, cursor-paged list to anyone', async () => {
      const meta = await t.http.get(`/api/v1/videos/${video.id}`);
      expect(meta.status).toBe(200);
      expect(meta.body).toEqual(video);
      const upper = await t.http.get(`/api/v1/videos/${video.id.toUpperCase()}`);
      expect(upper.body).toEqual(video);

      // Its own videos to page through (three, so two pages of two), whatever else is stored.
      const pager = await t.http.user('pager');
      const own: (typeof video)[] = [];
      for (const title of ['Page one', 'Page two', 'Page three']) {
        const r = await upload(pager.token, [
          ['title', title],
          ['file', new Blob([mp4Bytes(2000)], { type: 'video/mp4' }), 'p.mp4'],
        ]);
        expect(r.status).toBe(201);
        own.push(r.json);
      }
      // Newest first; the id breaks a tie on createdAt.
      const newestFirst = [...own]
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
        .map((v) => v.id);
      const page1 = await t.http.get(`/api/v1/videos?ownerId=${pager.id}&limit=2`);
      expect(page1.status).toBe(200);
      expect(page1.body.items.map((v: { id: string }) => v.id)).toEqual(newestFirst.slice(0, 2));
      expect(typeof page1.body.nextCursor).toBe('string');
      const page2 = await t.http.get(
        `/api/v1/videos?ownerId=${pager.id}&limit=2&cursor=${page1.body.nextCursor}`,
      );
      expect(page2.status).toBe(200);
      expect(page2.body).toEqual({
        items: [own.find((v) => v.id === newestFirst[2])],
        nextCursor: null,
      });

      // The unfiltered list pages the same way over everything stored: every video once, in order.
      const all: { id: string; createdAt: string }[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: any } = await t.http.get(
          `/api/v1/videos?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        all.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      const ids = all.map((v) => v.id);
      expect(ids).toEqual(expect.arrayContaining([video.id, ...newestFirst]));
      expect(new Set(ids).size).toBe(ids.length);
      const times = all.map((v) => v.createdAt);
      expect([...times].sort().reverse()).toEqual(times);

      const mine = await t.http.get(`/api/v1/videos?ownerId=${alice.id}`);
      expect(mine.body).toEqual({ items: [video], nextCursor: null });
      expect((await t.http.get('/api/v1/videos?limit=0')).status).toBe(400);
      expect((await t.http.get('/api/v1/videos?cursor=!!')).body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('streaming', () => {
    it('serves the whole file with validators and a safe inline Content-Disposition', async () => {
      const r = await raw(contentUrl);
      expect(r.status).toBe(200);
      expect(r.body.equals(original)).toBe(true);
      expect(r.headers.get('content-length')).toBe(String(original.length));
      expect(r.headers.get('content-type')).toBe('video/mp4');
      expect(r.headers.get('accept-ranges')).toBe('bytes');
      expect(r.headers.get('etag')).toBe(`"${sha256(original)}"`);
      expect(new Date(r.headers.get('last-modified')!).getTime()).toBe(
        Math.floor(Date.parse(video.createdAt) / 1000) * 1000,
      );
      expect(r.headers.get('content-disposition')).toBe(
        `inline; filename="Holiday 2026.mp4"; filename*=UTF-8''Holiday%202026.mp4`,
      );
    });

    it('answers single ranges with 206, exact Content-Range/Content-Length and the exact bytes', async () => {
      const size = original.length;
      const cases: [string, number, number][] = [
        ['bytes=0-99', 0, 99],
        ['bytes=1000-1000', 1000, 1000],
        ['bytes=0-0', 0, 0],
        [`bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
        ['bytes=3000000-', 3000000, size - 1],
        ['bytes=-1', size - 1, size - 1],
        ['bytes=-65536', size - 65536, size - 1],
        [`bytes=100-${size + 5000}`, 100, size - 1],
        [`bytes=-${size + 10}`, 0, size - 1],
        ['bytes=0-10,5-20', 0, 20],
      ];
      for (const [range, start, end] of cases) {
        const r = await raw(contentUrl, { headers: { range } });
        expect({
          range,
          status: r.status,
          cr: r.headers.get('content-range'),
          cl: r.headers.get('content-length'),
        }).toEqual({
          range,
          status: 206,
          cr: `bytes ${start}-${end}/${size}`,
          cl: String(end - start + 1),
        });
        expect(r.body.equals(original.subarray(start, end + 1))).toBe(true);
      }
    });

    it('answers an unsatisfiable range with 416, Content-Range: bytes */size and the error shape', async () => {
      for (const range of [
        `bytes=${original.length}-`,
        `bytes=${original.length + 10}-${original.length + 20}`,
        'bytes=-0',
        'bytes=99999999999999999999-',
      ]) {
        const r = await raw(contentUrl, { headers: { range } });
        expect({ range, status: r.status }).toEqual({ range, status: 416 });
        expect(r.headers.get('content-range')).toBe(`bytes */${original.length}`);
        expect(r.json).toMatchObject({
          statusCode: 416,
          code: 'RANGE_NOT_SATISFIABLE',
          requestId: r.headers.get('x-request-id'),
        });
      }
    });

    it('sends the whole file (200) for malformed and multiple ranges', async () => {
      for (const range of [
        'bytes=abc',
        'bytes=5-1',
        'items=0-10',
        'bytes=--1',
        'bytes 0-10',
        'bytes=0-10,500-600',
        'bytes=0-1,3-4,100-200',
      ]) {
        const r = await raw(contentUrl, { headers: { range } });
        expect({ range, status: r.status, cr: r.headers.get('content-range') }).toEqual({
          range,
          status: 200,
          cr: null,
        });
        expect(r.body.length).toBe(original.length);
      }
    });

    it('answers HEAD with the same headers as GET and no body', async () => {
      const whole = await raw(contentUrl, { method: 'HEAD' });
      expect(whole.status).toBe(200);
      expect(whole.body.length).toBe(0);
      expect(whole.headers.get('content-length')).toBe(String(original.length));
      expect(whole.headers.get('etag')).toBe(`"${sha256(original)}"`);
      expect(whole.headers.get('accept-ranges')).toBe('bytes');
      const part = await raw(contentUrl, { method: 'HEAD', headers: { range: 'bytes=10-19' } });
      expect(part.status).toBe(206);
      expect(part.body.length).toBe(0);
      expect(part.headers.get('content-range')).toBe(`bytes 10-19/${original.length}`);
      expect(part.headers.get('content-length')).toBe('10');
    });

    it('honours If-None-Match / If-Modified-Since (304) and If-Match (412)', async () => {
      const first = await raw(contentUrl, { method: 'HEAD' });
      const etag = first.headers.get('etag')!;
      const lastModified = first.headers.get('last-modified')!;

      const conditionals: Record<string, string>[] = [
        { 'if-none-match': etag },
        { 'if-none-match': `"nope", W/${etag}` },
        { 'if-none-match': '*' },
        { 'if-modified-since': lastModified },
      ];
      for (const headers of conditionals) {
        const r = await raw(contentUrl, { headers });
        expect({ headers, status: r.status, len: r.body.length }).toEqual({
          headers,
          status: 304,
          len: 0,
        });
        expect(r.headers.get('etag')).toBe(etag);
      }
      expect(
        (await raw(contentUrl, { headers: { 'if-none-match': '"something-else"' } })).status,
      ).toBe(200);
      expect(
        (
          await raw(contentUrl, {
            headers: {
              'if-modified-since': new Date(Date.parse(lastModified) - 3600_000).toUTCString(),
            },
          })
        ).status,
      ).toBe(200);

      const failed = await raw(contentUrl, { headers: { 'if-match': '"something-else"' } });
      expect(failed.status).toBe(412);
      expect(failed.json).toMatchObject({ statusCode: 412, code: 'PRECONDITION_FAILED' });
      expect(
        (await raw(contentUrl, { headers: { 'if-match': etag, range: 'bytes=0-3' } })).status,
      ).toBe(206);
    });

    it('applies a Range only while If-Range matches; a stale validator gets the whole file', async () => {
      const etag = (await raw(contentUrl, { method: 'HEAD' })).headers.get('etag')!;
      const lastModified = (await raw(contentUrl, { method: 'HEAD' })).headers.get(
        'last-modified',
      )!;
      const fresh = await raw(contentUrl, {
        headers: { range: 'bytes=100-199', 'if-range': etag },
      });
      expect(fresh.status).toBe(206);
      expect(fresh.body.equals(original.subarray(100, 200))).toBe(true);
      expect(
        (await raw(contentUrl, { headers: { range: 'bytes=100-199', 'if-range': lastModified } }))
          .status,
      ).toBe(206);

      for (const ifRange of [
        '"an-older-version"',
        `W/${etag}`,
        new Date(Date.parse(lastModified) - 86_400_000).toUTCString(),
      ]) {
        const stale = await raw(contentUrl, {
          headers: { range: 'bytes=100-199', 'if-range': ifRange },
        });
        expect({ ifRange, status: stale.status }).toEqual({ ifRange, status: 200 });
        expect(stale.body.equals(original)).toBe(true);
      }
    });

    it('counts the bytes it serves in video_bytes_served_total', async () => {
      const served = async () =>
        Number(/^video_bytes_served_total (\S+)$/m.exec((await t.http.get('/metrics')).text)![1]);
      const before = await served();
      await raw(contentUrl);
      await raw(contentUrl, { headers: { range: 'bytes=0-999' } });
      await raw(contentUrl, { method: 'HEAD' });
      await raw(contentUrl, { headers: { 'if-none-match': `"${sha256(original)}"` } });
      // Counted as the response streams; wait for the last chunk to be accounted.
      await until(async () => (await served()) - before >= original.length + 1000, {
        message: 'served bytes were not counted',
      });
      expect((await served()) - before).toBe(original.length + 1000);
    });
  });

  describe('refused uploads leave nothing behind', () => {
    let before: { disk: string[]; rows: string[] };
    beforeEach(async () => {
      before = { disk: onDisk(), rows: await listIds() };
    });
    afterEach(async () => {
      // Never a partial file (.tmp-*), never a new file or row.
      await until(() => onDisk().join() === before.disk.join(), {
        message: `files left behind: ${onDisk().join(', ')}`,
      });
      expect(await listIds()).toEqual(before.rows);
    });

    it('refuses a non-multipart body with 415 in the error shape', async () => {
      const json = await raw(`${t.url}/api/v1/videos`, {
        method: 'POST',
        body: JSON.stringify({ title: 'x' }),
        headers: { ...auth(alice.token), 'content-type': 'application/json' },
      });
      expect(json.status).toBe(415);
      expect(json.json).toMatchObject({
        statusCode: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        requestId: expect.any(String),
      });
      const octets = await raw(`${t.url}/api/v1/videos`, {
        method: 'POST',
        body: original.subarray(0, 1000),
        headers: { ...auth(alice.token), 'content-type': 'application/octet-stream' },
      });
      expect(octets.status).toBe(415);
      expect(octets.json.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const empty = await raw(`${t.url}/api/v1/videos`, {
        method: 'POST',
        headers: auth(alice.token),
      });
      expect(empty.status).toBe(415);
    });

    it('refuses a declared type that is not video/* with 415', async () => {
      for (const type of [
        'application/octet-stream',
        'text/html',
        'image/png',
        'video/x-msvideo',
      ]) {
        const r = await upload(alice.token, [
          ['title', 't'],
          ['file', new Blob([original.subarray(0, 5000)], { type })],
        ]);
        expect({ type, status: r.status, code: r.json?.code }).toEqual({
          type,
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
        });
      }
    });

    it('refuses content whose first bytes do not match the declared type with 415', async () => {
      const html = Buffer.from('<html><script>alert(1)</script></html>'.repeat(50));
      for (const [type, bytes] of [
        ['video/mp4', html],
        ['video/webm', original.subarray(0, 50_000)],
        ['video/mp2t', Buffer.from('GIF89a' + 'x'.repeat(400))],
      ] as const) {
        const r = await upload(alice.token, [
          ['file', new Blob([bytes], { type })],
          ['title', 't'],
        ]);
        expect({ type, status: r.status, code: r.json?.code }).toEqual({
          type,
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
        });
      }
    });

    it('refuses unknown fields, a bad or missing title and a missing file with 400', async () => {
      const small = () => new Blob([original.subarray(0, 5000)], { type: 'video/mp4' });
      const cases: [string, [string, string | Blob, string?][], string][] = [
        [
          'unknown field',
          [
            ['title', 't'],
            ['ownerId', bob.id],
            ['file', small()],
          ],
          'property ownerId should not exist',
        ],
        [
          'unknown field after file',
          [
            ['title', 't'],
            ['file', small()],
            ['role', 'admin'],
          ],
          'property role should not exist',
        ],
        ['missing title', [['file', small()]], 'title is required'],
        [
          'blank title',
          [
            ['title', '   '],
            ['file', small()],
          ],
          'title must be longer than or equal to 1 characters',
        ],
        [
          'long title',
          [
            ['file', small()],
            ['title', 'x'.repeat(201)],
          ],
          'title must be shorter than or equal to 200 characters',
        ],
        ['missing file', [['title', 't']], 'file is required (a multipart part named "file")'],
        [
          'file as text',
          [
            ['title', 't'],
            ['file', 'not a file'],
          ],
          'file must be a file part (with a filename)',
        ],
        [
          'file under another name',
          [
            ['title', 't'],
            ['video', small()],
          ],
          'property video should not exist (the video goes in "file")',
        ],
      ];
      for (const [name, parts, message] of cases) {
        const r = await upload(alice.token, parts);
        expect({ name, status: r.status, code: r.json?.code, message: r.json?.message }).toEqual({
          name,
          status: 400,
          code: 'VALIDATION_FAILED',
          message: [message],
        });
      }
    });

    it('refuses an upload without a token (401) before reading it', async () => {
      const fd = new FormData();
      fd.append('title', 't');
      fd.append('file', new Blob([original.subarray(0, 5000)], { type: 'video/mp4' }), 'a.mp4');
      const r = await raw(`${t.url}/api/v1/videos`, { method: 'POST', body: fd });
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('UNAUTHORIZED');
    });

    it('refuses a file over MAX_UPLOAD_BYTES with 413 (declared length up front)', async () => {
      const r = await upload(alice.token, [
        ['title', 'too big'],
        ['file', new Blob([mp4Bytes(LIMIT + MiB)], { type: 'video/mp4' })],
      ]);
      expect(r.status).toBe(413);
      expect(r.json).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
    });

    it('refuses a streamed (chunked) file that goes over MAX_UPLOAD_BYTES with 413 as soon as it does', async () => {
      const boundary = 'onair-test-boundary';
      const body = mp4Bytes(LIMIT + 1);
      const result = await new Promise<{ status: number; json: any }>((resolve, reject) => {
        const req = http.request(`${t.url}/api/v1/videos`, {
          method: 'POST',
          agent: false,
          headers: {
            ...auth(alice.token),
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'transfer-encoding': 'chunked',
          },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.write(
          `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nstreamed\r\n`,
        );
        req.write(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
        );
        let off = 0;
        const pump = () => {
          while (off < body.length) {
            const ok = req.write(body.subarray(off, off + 256 * 1024));
            off += 256 * 1024;
            if (!ok) return void req.once('drain', pump);
          }
          req.end(`\r\n--${boundary}--\r\n`);
        };
        pump();
      });
      expect(result.status).toBe(413);
      expect(result.json.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('keeps neither a file nor a row when the client disconnects mid-upload', async () => {
      const boundary = 'onair-abort-boundary';
      const req = http.request(`${t.url}/api/v1/videos`, {
        method: 'POST',
        agent: false,
        headers: {
          ...auth(alice.token),
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(5 * MiB),
        },
      });
      req.on('error', () => undefined);
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\naborted\r\n`);
      req.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
      );
      req.write(original.subarray(0, 2 * MiB));
      // The upload really is under way: its temporary file is growing on disk.
      await until(
        () =>
          onDisk().some(
            (f) => f.startsWith('.tmp-') && fs.statSync(path.join(videosDir, f)).size > 0,
          ),
        { message: 'the upload never started writing' },
      );
      req.destroy();
      // afterEach: the temporary file disappears and no row appears.
    });
  });

  describe('ids and paths', () => {
    it('answers 404 in the error shape for ids that are not videos, and never serves a file outside DATA_DIR/videos', async () => {
      const tmpName = '.tmp-' + video.id;
      fs.writeFileSync(path.join(videosDir, tmpName), 'secret partial upload');
      try {
        const paths = [
          '/api/v1/videos/not-a-uuid',
          '/api/v1/videos/00000000-0000-4000-8000-000000000000',
          '/api/v1/videos/00000000-0000-4000-8000-000000000000/content',
          '/api/v1/videos/..%2f..%2fonair.sqlite/content',
          '/api/v1/videos/..%2F..%2F..%2F..%2Fetc%2Fpasswd/content',
          '/api/v1/videos/%2e%2e%2f%2e%2e%2fonair.sqlite/content',
          '/api/v1/videos/%2Fetc%2Fpasswd/content',
          `/api/v1/videos/${tmpName}/content`,
          `/api/v1/videos/${encodeURIComponent('/' + videosDir + '/' + video.id)}/content`,
          '/api/v1/videos/../../../etc/passwd',
          `/api/v1/videos/${video.id}/content/../../onair.sqlite`,
          `/api/v1/videos/${video.id}%00/content`,
        ];
        for (const p of paths) {
          for (const method of ['GET', 'HEAD']) {
            const r = await rawPath(t.url, p, method);
            expect({ p, method, ok: [400, 404].includes(r.status) }).toEqual({
              p,
              method,
              ok: true,
            });
          }
          const get = await rawPath(t.url, p, 'GET');
          expect(JSON.parse(get.body)).toMatchObject({
            statusCode: get.status,
            code: expect.stringMatching(/^(NOT_FOUND|VALIDATION_FAILED)$/),
          });
          expect(get.body).not.toMatch(/root:|SQLite format|secret partial upload/);
        }
      } finally {
        fs.rmSync(path.join(videosDir, tmpName), { force: true });
      }
    });
  });

  describe('playback progress', () => {
    const progressUrl = () => `/api/v1/videos/${video.id}/progress`;

    it('round-trips a position per user and keeps the newest', async () => {
      expect((await t.http.get(progressUrl(), alice.token)).status).toBe(404);
      const put = await t.http.put(
        progressUrl(),
        { positionSec: 12.5, paused: false },
        alice.token,
      );
      expect(put.status).toBe(204);
      expect(put.text).toBe('');
      const got = await t.http.get(progressUrl(), alice.token);
      expect(got.status).toBe(200);
      expect(got.body).toEqual({ positionSec: 12.5, paused: false, updatedAt: expect.any(String) });
      expect(new Date(got.body.updatedAt).toISOString()).toBe(got.body.updatedAt);
      expect(Math.abs(Date.now() - Date.parse(got.body.updatedAt))).toBeLessThan(60_000);

      expect(
        (await t.http.put(progressUrl(), { positionSec: 80, paused: true }, alice.token)).status,
      ).toBe(204);
      const again = await t.http.get(progressUrl(), alice.token);
      expect(again.body).toMatchObject({ positionSec: 80, paused: true });
      expect(Date.parse(again.body.updatedAt)).toBeGreaterThanOrEqual(
        Date.parse(got.body.updatedAt),
      );

      // Another viewer has their own (none yet).
      expect((await t.http.get(progressUrl(), bob.token)).status).toBe(404);
      await t.http.put(progressUrl(), { positionSec: 3, paused: false }, bob.token);
      expect((await t.http.get(progressUrl(), bob.token)).body.positionSec).toBe(3);
      expect((await t.http.get(progressUrl(), alice.token)).body.positionSec).toBe(80);
    });

    it('validates the body and the caller', async () => {
      for (const body of [
        { positionSec: -1, paused: false },
        { positionSec: '10', paused: false },
        { positionSec: 10 },
        { paused: true },
        { positionSec: 10, paused: 'yes' },
        { positionSec: 10, paused: false, userId: bob.id },
        { positionSec: 1e9, paused: false },
      ]) {
        const r = await t.http.put(progressUrl(), body, alice.token);
        expect({ body, status: r.status, code: r.body?.code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      expect((await t.http.put(progressUrl(), { positionSec: 1, paused: false })).status).toBe(401);
      expect((await t.http.get(progressUrl())).status).toBe(401);
      const unknown = await t.http.put(
        '/api/v1/videos/00000000-0000-4000-8000-000000000000/progress',
        { positionSec: 1, paused: false },
        alice.token,
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('NOT_FOUND');
      expect(
        (
          await t.http.put(
            '/api/v1/videos/nope/progress',
            { positionSec: 1, paused: false },
            alice.token,
          )
        ).status,
      ).toBe(404);
    });
  });

  describe('delete', () => {
    it('lets only the owner or an admin delete; another user gets 403 and nothing changes', async () => {
      const mk = async (token: string, title: string) =>
        (
          await upload(token, [
            ['title', title],
            ['file', new Blob([mp4Bytes(50_000)], { type: 'video/mp4' })],
          ])
        ).json;
      const v = await mk(alice.token, 'to delete');
      const w = await mk(bob.token, 'bob deletes nothing of alice');

      const denied = await t.http.delete(`/api/v1/videos/${v.id}`, bob.token);
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('FORBIDDEN');
      expect((await t.http.get(`/api/v1/videos/${v.id}`)).status).toBe(200);
      expect((await raw(`${t.url}/api/v1/videos/${v.id}/content`)).status).toBe(200);
      expect(fs.existsSync(path.join(videosDir, v.id))).toBe(true);
      expect((await t.http.delete(`/api/v1/videos/${v.id}`)).status).toBe(401);

      await t.http.put(
        `/api/v1/videos/${v.id}/progress`,
        { positionSec: 5, paused: true },
        bob.token,
      );
      const ok = await t.http.delete(`/api/v1/videos/${v.id}`, alice.token);
      expect(ok.status).toBe(204);
      expect(fs.existsSync(path.join(videosDir, v.id))).toBe(false);
      expect((await t.http.get(`/api/v1/videos/${v.id}`)).status).toBe(404);
      const gone = await raw(`${t.url}/api/v1/videos/${v.id}/content`);
      expect(gone.status).toBe(404);
      expect(gone.json.code).toBe('NOT_FOUND');
      expect((await t.http.get(`/api/v1/videos/${v.id}/progress`, bob.token)).status).toBe(404);
      expect((await t.http.delete(`/api/v1/videos/${v.id}`, alice.token)).status).toBe(404);

      expect((await t.http.delete(`/api/v1/videos/${w.id}`, adminToken)).status).toBe(204);
      expect(fs.existsSync(path.join(videosDir, w.id))).toBe(false);
      expect(onDisk().some((f) => f.startsWith('.tmp-'))).toBe(false);
    });
  });

  it('documents the multipart upload and the range responses in Swagger', async () => {
    const doc = (await t.http.get('/docs-json')).body;
    const post = doc.paths['/api/v1/videos'].post;
    expect(Object.keys(post.requestBody.content)).toEqual(['multipart/form-data']);
    const schemaRef: string = post.requestBody.content['multipart/form-data'].schema.$ref;
    const schema = doc.components.schemas[schemaRef.split('/').pop()!];
    expect(schema.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(schema.properties.title).toMatchObject({ type: 'string', maxLength: 200 });
    expect(Object.keys(post.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '413', '415']),
    );
    for (const method of ['get', 'head']) {
      const op = doc.paths['/api/v1/videos/{id}/content'][method];
      expect(Object.keys(op.responses)).toEqual(
        expect.arrayContaining(['200', '206', '304', '404', '416']),
      );
      expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(['id', 'Range', 'If-Range', 'If-None-Match']),
      );
    }
    expect(doc.paths['/api/v1/videos/{id}/progress'].put.requestBody).toBeDefined();
  });
});
