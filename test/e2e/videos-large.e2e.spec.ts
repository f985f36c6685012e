/**
 * Videos at size: a > 2 GiB (sparse) file served from offsets past 2^31, a slow reader that must
 * not make the server buffer the file, a download that survives the video's deletion, a large
 * upload, and a real client (curl) resuming an interrupted download.
 *
 * The storage mode does not change any of this, so it runs embedded only. The shutdown check
 * runs the built app (dist/, or ONAIR_MAIN_JS) as a child process.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { MetricsService } from '../../src/metrics/metrics.service';
import { VideosRepository } from '../../src/videos/videos.repository';
import { startApp, TestApp } from '../helpers/app';
import { findExecutable } from '../helpers/media';
import { modeEnv } from '../helpers/modes';
import { spawnApp } from '../helpers/process';
import { until } from '../helpers/wait';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 * MiB }))
    h.update(chunk as Buffer);
  return h.digest('hex');
}

/** GET with node:http so the test controls exactly how fast the body is read. */
async function open(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }> {
  const req = http.get(url, { agent: false, headers });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  return { req, res };
}

async function readAll(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('videos at size (embedded)', () => {
  let t: TestApp;
  let tmp: string;
  let owner: { token: string; id: string };
  const served = async () =>
    (await t.app.get(MetricsService).videoBytes.get()).values[0]?.value ?? 0;

  /**
   * Registers a file that was placed directly in DATA_DIR/videos (how an operator would import
   * one), through the real repository: a sparse file of `size` bytes with random marker blocks.
   */
  async function registerSparse(
    size: number,
    markers: Record<number, Buffer>,
  ): Promise<{ id: string; file: string }> {
    const id = randomUUID();
    const file = path.join(t.env.DATA_DIR, 'videos', id);
    const fh = await fs.promises.open(file, 'wx');
    try {
      await fh.truncate(size); // same as `truncate -s <size>`: no blocks allocated
      const head = Buffer.alloc(16);
      head.writeUInt32BE(0x20, 0);
      head.write('ftypisom', 4, 'latin1');
      await fh.write(head, 0, head.length, 0);
      for (const [offset, bytes] of Object.entries(markers))
        await fh.write(bytes, 0, bytes.length, Number(offset));
    } finally {
      await fh.close();
    }
    await t.app.get(VideosRepository).create({
      id,
      ownerId: owner.id,
      title: `sparse ${size}`,
      size,
      contentType: 'video/mp4',
      storageName: id,
      sha256: await sha256File(file),
      durationSec: null,
    });
    return { id, file };
  }

  beforeAll(async () => {
    t = await startApp('embedded', { THROTTLE_LIMIT: '100000' });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-videos-large-'));
    owner = await t.http.user('big');
  });
  afterAll(async () => {
    await t?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('a 3 GiB file', () => {
    const size = 3 * GiB;
    const past2g = 2 ** 31 + 4097;
    const nearEnd = size - 256 * 1024;
    const markerA = randomBytes(MiB);
    const markerB = randomBytes(256 * 1024);
    let url: string;

    beforeAll(async () => {
      const { id } = await registerSparse(size, { [past2g]: markerA, [nearEnd]: markerB });
      url = `${t.url}/api/v1/videos/${id}/content`;
    }, 120_000);

    it('serves ranges at offsets beyond 2^31 with the right bytes and headers', async () => {
      const a = await open(url, { range: `bytes=${past2g}-${past2g + MiB - 1}` });
      expect(a.res.statusCode).toBe(206);
      expect(a.res.headers['content-range']).toBe(`bytes ${past2g}-${past2g + MiB - 1}/${size}`);
      expect(a.res.headers['content-length']).toBe(String(MiB));
      expect((await readAll(a.res)).equals(markerA)).toBe(true);

      const b = await open(url, { range: `bytes=-${256 * 1024}` });
      expect(b.res.statusCode).toBe(206);
      expect(b.res.headers['content-range']).toBe(`bytes ${nearEnd}-${size - 1}/${size}`);
      expect((await readAll(b.res)).equals(markerB)).toBe(true);

      const c = await open(url, { range: `bytes=${size - 1}-` });
      expect((await readAll(c.res)).equals(markerB.subarray(-1))).toBe(true);

      // The bytes just before a marker are the sparse zeros, so the offset is exact, not approximate.
      const d = await open(url, { range: `bytes=${past2g - 4}-${past2g + 3}` });
      expect(await readAll(d.res)).toEqual(
        Buffer.concat([Buffer.alloc(4), markerA.subarray(0, 4)]),
      );
    });

    it('announces the full size on HEAD without reading the file', async () => {
      const r = await fetch(url, { method: 'HEAD' });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-length')).toBe(String(size));
      expect(r.headers.get('accept-ranges')).toBe('bytes');
    });

    it('does not buffer the file for a slow reader: memory stays far below the file size', async () => {
      const limit = 64 * MiB;
      const rss = () => process.memoryUsage().rss;
      const baseline = rss();
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, rss())), 20);
      const start = await served();
      try {
        const { req, res } = await open(url);
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-length']).toBe(String(size));
        res.pause();

        // The client reads nothing: once the socket buffers are full the server must stop
        // reading the file. Wait until the served-bytes counter stands still.
        let last = -1;
        let stillSince = Date.now();
        await until(
          async () => {
            const now = await served();
            if (now !== last) {
              last = now;
              stillSince = Date.now();
            }
            return Date.now() - stillSince > 1500;
          },
          {
            timeoutMs: 30_000,
            intervalMs: 100,
            message: 'the server never stopped sending to a paused client',
          },
        );
        expect(last - start).toBeLessThan(limit);

        // Then read 256 MiB slowly, pausing after every MiB.
        let received = 0;
        let sincePause = 0;
        await new Promise<void>((resolve, reject) => {
          res.on('error', reject);
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            sincePause += chunk.length;
            if (received >= 256 * MiB) {
              res.pause();
              resolve();
            } else if (sincePause >= MiB) {
              sincePause = 0;
              res.pause();
              setTimeout(() => res.resume(), 2);
            }
          });
          res.resume();
        });
        req.destroy();
        expect(received).toBeGreaterThanOrEqual(256 * MiB);
      } finally {
        clearInterval(sampler);
      }
      expect(peak - baseline).toBeLessThan(limit);
      // The client went away: the server stops reading the file soon after.
      let last = -1;
      let stillSince = Date.now();
      await until(
        async () => {
          const now = await served();
          if (now !== last) [last, stillSince] = [now, Date.now()];
          return Date.now() - stillSince > 1000;
        },
        {
          timeoutMs: 15_000,
          intervalMs: 100,
          message: 'the server kept streaming after the client left',
        },
      );
      expect(last - start).toBeLessThan(256 * MiB + limit);
    });
  });

  describe('a 48 MiB upload', () => {
    let original: Buffer;
    let originalFile: string;
    let id: string;
    let url: string;

    beforeAll(async () => {
      original = randomBytes(48 * MiB);
      original.writeUInt32BE(0x20, 0);
      original.write('ftypmp42', 4, 'latin1');
      originalFile = path.join(tmp, 'big.mp4');
      fs.writeFileSync(originalFile, original);
      const fd = new FormData();
      fd.append('title', 'Big upload');
      fd.append('file', await fs.openAsBlob(originalFile, { type: 'video/mp4' }), 'big.mp4');
      const r = await fetch(`${t.url}/api/v1/videos`, {
        method: 'POST',
        body: fd,
        headers: { authorization: `Bearer ${owner.token}` },
      });
      expect(r.status).toBe(201);
      id = ((await r.json()) as { id: string }).id;
      url = `${t.url}/api/v1/videos/${id}/content`;
    }, 120_000);

    it('is stored intact', async () => {
      expect(await sha256File(path.join(t.env.DATA_DIR, 'videos', id))).toBe(
        createHash('sha256').update(original).digest('hex'),
      );
    });

    const curl = findExecutable('curl');
    const mustHaveCurl =
      process.env.CI === 'true' || process.env.CI === '1' || process.env.REQUIRE_SERVICES === '1';
    if (!curl && !mustHaveCurl)
      process.stderr.write('!!! SKIPPED curl resume check: curl is not installed\n');

    (curl || mustHaveCurl ? it : it.skip)(
      'lets curl resume an interrupted download (-C -) to a byte-identical file',
      async () => {
        if (!curl)
          throw new Error(
            'curl is required for this check (CI / REQUIRE_SERVICES=1): install curl',
          );
        const out = path.join(tmp, 'download.mp4');
        const run = (args: string[]) => {
          const child = spawn(curl, args, { stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          const exited = new Promise<number | null>((resolve) =>
            child.on('close', (code) => resolve(code)),
          );
          return { child, exited, out: () => stdout, err: () => stderr };
        };

        // A rate-limited download, killed part way.
        const first = run(['-sS', '--limit-rate', '4M', '-o', out, url]);
        await until(() => fs.existsSync(out) && fs.statSync(out).size >= 6 * MiB, {
          timeoutMs: 20_000,
          message: 'curl did not start downloading',
        });
        first.child.kill('SIGKILL');
        await first.exited;
        const partial = fs.statSync(out).size;
        expect(partial).toBeGreaterThan(0);
        expect(partial).toBeLessThan(original.length);

        // Resume where it stopped: the server must answer 206 from that offset.
        const second = run([
          '-sS',
          '-C',
          '-',
          '-o',
          out,
          '-w',
          '%{http_code} %{size_download}',
          url,
        ]);
        expect(await second.exited).toBe(0);
        expect(second.out()).toBe(`206 ${original.length - partial}`);
        expect(await sha256File(out)).toBe(createHash('sha256').update(original).digest('hex'));
      },
    );

    it('lets a download that is already running finish after the video is deleted', async () => {
      const { req, res } = await open(url);
      expect(res.statusCode).toBe(200);
      res.pause();
      const del = await t.http.delete(`/api/v1/videos/${id}`, owner.token);
      expect(del.status).toBe(204);
      expect(fs.existsSync(path.join(t.env.DATA_DIR, 'videos', id))).toBe(false);
      expect((await fetch(url)).status).toBe(404);
      // POSIX: the open file keeps its data until the last reader closes it.
      const body = await readAll(res);
      req.destroy();
      expect(body.length).toBe(original.length);
      expect(body.equals(original)).toBe(true);
    });
  });

  describe('shutdown', () => {
    it('closes downloads still running after a short grace period, so SIGTERM exits 0 in time', async () => {
      const shutdownTimeoutMs = 6000;
      const m = await modeEnv('embedded', {
        SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
        THROTTLE_LIMIT: '100000',
      });
      const app = await spawnApp(m.env);
      try {
        const u = await app.http.user('shutdown');
        const body = randomBytes(32 * MiB);
        body.writeUInt32BE(0x20, 0);
        body.write('ftypisom', 4, 'latin1');
        const fd = new FormData();
        fd.append('title', 'Long watch');
        fd.append('file', new Blob([body], { type: 'video/mp4' }), 'long.mp4');
        const up = await fetch(`${app.url}/api/v1/videos`, {
          method: 'POST',
          body: fd,
          headers: { authorization: `Bearer ${u.token}` },
        });
        expect(up.status).toBe(201);
        const { id } = (await up.json()) as { id: string };

        // A viewer that stopped reading: without the grace period this download would keep the
        // HTTP server open until the shutdown timeout forces exit code 1.
        const { res } = await open(`${app.url}/api/v1/videos/${id}/content`);
        expect(res.statusCode).toBe(200);
        let received = 0;
        res.on('data', (c: Buffer) => (received += c.length));
        res.on('error', () => undefined);
        res.pause();
        const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));

        const started = Date.now();
        const code = await app.stop('SIGTERM', shutdownTimeoutMs + 5000);
        expect({ code, output: code === 0 ? '' : app.output() }).toEqual({ code: 0, output: '' });
        expect(Date.now() - started).toBeLessThan(shutdownTimeoutMs);
        res.resume();
        await closed;
        expect(received).toBeLessThan(body.length);
      } finally {
        await app.stop('SIGKILL');
        await m.cleanup();
      }
    });
  });
});
