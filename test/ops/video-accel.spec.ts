/**
 * Video content behind the docker stack's nginx proxy (docker/nginx/nginx.conf, run by the real
 * nginx) with VIDEO_ACCEL_REDIRECT_PREFIX: OnAir decides each request and answers with
 * X-Accel-Redirect, nginx sends the bytes from the videos folder. Every answer a client gets
 * through the proxy must be the one OnAir gives when it streams the file itself: same bytes,
 * status, Content-Range and headers, 304/412/416 in the contract's shape.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MetricsService } from '../../src/metrics/metrics.service';
import { startApp, type TestApp } from '../helpers/app';
import { freePort, spawnApp } from '../helpers/process';
import {
  describeWithBinaries,
  DOCKER,
  renderNginxConf,
  startDaemon,
  tmpDir,
  waitHttpOk,
  type Daemon,
} from './ops-helpers';

const PREFIX = '/internal/videos/';
const SIZE = 3 * 1024 * 1024 + 4321;

interface Got {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(url, { method, headers });
  return {
    status: res.status,
    headers: res.headers,
    body: Buffer.from(await res.arrayBuffer()),
  } satisfies Got;
}

/** Uploads through `base` (multipart, as a client of the stack does); returns the new id. */
async function upload(base: string, token: string, file: Buffer, title: string): Promise<string> {
  const fd = new FormData();
  fd.append('file', new Blob([file], { type: 'video/mp4' }), `${title} "x".mp4`);
  fd.append('title', title);
  const res = await fetch(`${base}/api/v1/videos`, {
    method: 'POST',
    body: fd,
    headers: { Authorization: `Bearer ${token}` },
  });
  expect([res.status, res.status === 201 ? '' : await res.text()]).toEqual([201, '']);
  return ((await res.json()) as { id: string }).id;
}

const isJson = (r: Got) => /^application\/json/.test(r.headers.get('content-type') ?? '');

/** The body to compare: the bytes' hash, or an error's JSON without its request id. */
function body(r: Got): unknown {
  if (!isJson(r) || r.body.length === 0) return createHash('sha256').update(r.body).digest('hex');
  const { requestId: _id, ...rest } = JSON.parse(r.body.toString('utf8')) as Record<
    string,
    unknown
  >;
  return rest;
}

/**
 * The headers a client sees of a content answer (connection-level ones left out; an error's
 * length depends on its request id, which differs between any two answers).
 */
function contentHeaders(r: Got): Record<string, string | null> {
  const names = [
    'content-type',
    'content-length',
    'content-range',
    'content-disposition',
    'accept-ranges',
    'etag',
    'last-modified',
    'cache-control',
    'x-content-type-options',
  ];
  return Object.fromEntries(
    names.map((n) => [n, n === 'content-length' && isJson(r) ? 'json' : r.headers.get(n)]),
  );
}

describeWithBinaries(
  'video content through the nginx proxy with X-Accel-Redirect',
  [{ binary: 'nginx', aptPackage: 'nginx' }],
  (bins) => {
    let t: TestApp;
    let nginx: Daemon;
    let proxy: string;
    let bytes: Buffer;
    let id: string;
    let token: string;
    const through = (p: string) => `${proxy}${p}`;
    const direct = (p: string) => `${t.url}${p}`;
    const served = async () =>
      (await t.app.get(MetricsService).videoBytes.get()).values[0]?.value ?? 0;

    beforeAll(async () => {
      t = await startApp('embedded', { VIDEO_ACCEL_REDIRECT_PREFIX: PREFIX });
      // nginx workers may run as another user (nobody when the test runs as root): the path to
      // the videos must be traversable, as the Docker volume is.
      fs.chmodSync(t.env.DATA_DIR, 0o755);
      const dir = tmpDir('nginx-accel');
      fs.chmodSync(dir, 0o755);
      const port = await freePort();
      const app = new URL(t.url).host;
      const shipped = fs.readFileSync(path.join(DOCKER, 'nginx', 'nginx.conf'), 'utf8');
      const alias = 'alias /var/lib/onair/videos/;';
      expect(shipped).toContain(`location ${PREFIX} {`);
      expect(shipped).toContain(alias);
      const conf = path.join(dir, 'nginx.conf');
      fs.writeFileSync(
        conf,
        renderNginxConf(
          shipped.replace(alias, `alias ${path.join(t.env.DATA_DIR, 'videos')}/;`),
          dir,
          { 'onair-1:3000': app, 'onair-2:3000': app },
          port,
        ),
      );
      nginx = startDaemon(bins.nginx, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;']);
      proxy = `http://127.0.0.1:${port}`;
      await waitHttpOk(nginx, `${proxy}/nginx-health`, 'nginx');

      token = (await t.http.user('accel')).token;
      bytes = randomBytes(SIZE);
      bytes.writeUInt32BE(0x20, 0);
      bytes.write('ftypisom', 4, 'latin1');
      id = await upload(proxy, token, bytes, 'Trip one');
    }, 60_000);

    afterAll(async () => {
      await nginx?.stop();
      await t?.close();
    });

    const content = () => `/api/v1/videos/${id}/content`;

    it('hands the bytes to the proxy: OnAir answers with X-Accel-Redirect and no body', async () => {
      const r = await get(direct(content()));
      expect(r.status).toBe(200);
      expect(r.headers.get('x-accel-redirect')).toBe(`${PREFIX}${id}`);
      expect(r.body).toHaveLength(0);
      expect(r.headers.get('etag')).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
    });

    it('serves the whole file through nginx with OnAir’s headers, none of it streamed by OnAir', async () => {
      const before = await served();
      const r = await get(through(content()));
      expect(r.status).toBe(200);
      expect(r.body.equals(bytes)).toBe(true);
      expect(contentHeaders(r)).toEqual({
        'content-type': 'video/mp4',
        'content-length': String(SIZE),
        'content-range': null,
        'content-disposition': expect.stringMatching(/^inline; filename=/),
        'accept-ranges': 'bytes',
        etag: `"${createHash('sha256').update(bytes).digest('hex')}"`,
        'last-modified': expect.stringMatching(/ GMT$/),
        'cache-control': 'public, no-cache',
        'x-content-type-options': 'nosniff',
      });
      expect(r.headers.get('x-request-id')).toMatch(/\S/);
      expect(await served()).toBe(before);
    });

    it('answers ranges, If-Range and conditionals exactly as OnAir does when it streams', async () => {
      const head = await get(direct(content()), {}, 'HEAD');
      const etag = head.headers.get('etag')!;
      const lastModified = head.headers.get('last-modified')!;
      const cases: Record<string, string>[] = [
        { Range: 'bytes=100-199' },
        { Range: 'bytes=-500' },
        { Range: `bytes=${SIZE - 10}-` },
        { Range: `bytes=${SIZE - 10}-${SIZE + 1000}` },
        { Range: 'bytes=0-0' },
        { Range: 'bytes=100-199', 'If-Range': etag },
        { Range: 'bytes=100-199', 'If-Range': lastModified },
        // Stale validators: the whole current file.
        { Range: 'bytes=100-199', 'If-Range': '"stale"' },
        { Range: 'bytes=100-199', 'If-Range': 'Thu, 01 Jan 2015 00:00:00 GMT' },
        // Several ranges, malformed or reversed ones: the whole file.
        { Range: 'bytes=0-9,20-29' },
        { Range: 'bytes=abc' },
        { Range: 'bytes=50-10' },
        { Range: 'BYTES = 10-19' },
        // Unsatisfiable: 416 in the contract's shape.
        { Range: `bytes=${SIZE}-` },
        { Range: 'bytes=-0' },
        // Conditionals.
        { 'If-None-Match': etag },
        { 'If-None-Match': '"other"' },
        { 'If-Modified-Since': lastModified },
        { 'If-Match': etag, Range: 'bytes=10-19' },
        { 'If-Match': '"other"' },
        { 'If-Unmodified-Since': lastModified },
        { 'If-Unmodified-Since': 'Thu, 01 Jan 2015 00:00:00 GMT' },
      ];
      // The reference: OnAir with the mode off, on the same database and files, answers these
      // requests itself (its own process: two apps in one process would share passport's
      // strategy registry).
      const { VIDEO_ACCEL_REDIRECT_PREFIX: _on, ...off } = t.env;
      const plain = await spawnApp(off);
      try {
        for (const headers of cases) {
          for (const method of ['GET', 'HEAD']) {
            const want = await get(`${plain.url}${content()}`, headers, method);
            const got = await get(through(content()), headers, method);
            const label = `${method} ${JSON.stringify(headers)}`;
            expect([label, got.status]).toEqual([label, want.status]);
            expect([label, contentHeaders(got)]).toEqual([label, contentHeaders(want)]);
            expect([label, body(got)]).toEqual([label, body(want)]);
          }
        }
      } finally {
        await plain.stop();
      }
      // The reference did serve ranges (the comparison is not between two empty answers).
      const range = await get(through(content()), { Range: 'bytes=100-199' });
      expect(range.status).toBe(206);
      expect(range.headers.get('content-range')).toBe(`bytes 100-199/${SIZE}`);
      expect(range.body.equals(bytes.subarray(100, 200))).toBe(true);
    }, 60_000);

    it('keeps the internal location internal', async () => {
      const r = await get(through(`${PREFIX}${id}`));
      expect(r.status).toBe(404);
      expect(r.body.includes(bytes.subarray(0, 64))).toBe(false);
    });

    it('answers 404 in the contract’s shape when the file is gone from disk', async () => {
      const gone = await upload(proxy, token, bytes.subarray(0, 4096), 'Gone');
      fs.rmSync(path.join(t.env.DATA_DIR, 'videos', gone));
      const r = await get(through(`/api/v1/videos/${gone}/content`));
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(r.body.toString('utf8'))).toMatchObject({ code: 'NOT_FOUND' });
    });
  },
);
