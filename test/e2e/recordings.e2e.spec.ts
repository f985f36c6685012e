/**
 * Recordings become videos, end to end in both modes: real FLV/MP4 files made by ffmpeg are
 * reported through the real hooks (nginx-rtmp record_done, SRS on_dvr), imported by the real
 * worker (ffmpeg remux + ffprobe), listed under GET /streams/:id/recordings and announced as
 * a signed recording.ready webhook to a real local receiver.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startApp, TestApp } from '../helpers/app';
import { mediaToolsAvailable } from '../helpers/media';
import { Mode } from '../helpers/modes';
import { listDir, makeClip, topLevelBoxes } from '../helpers/recordings';
import { hasServices } from '../helpers/services';
import { until } from '../helpers/wait';
import { verifySignature, WebhookReceiver } from '../helpers/webhook-receiver';
import { createStream, metricValue, nginxHook, srsHook } from '../media/hook-client';

const modes: Mode[] = hasServices() ? ['embedded', 'clustered'] : ['embedded'];
if (!hasServices())
  process.stderr.write('!!! SKIPPED clustered recordings e2e: needs PostgreSQL and Redis\n');
if (!mediaToolsAvailable().ok) throw new Error('recordings e2e needs ffmpeg and ffprobe installed');

const IMPORTED = 'recordings_total{result="imported"}';
const FAILED = 'recordings_total{result="failed"}';

/** The body nginx-rtmp 1.2.2 posts for on_record_done. */
function recordDoneBody(name: string, file: string): string {
  return (
    'app=live&flashver=FMLE/3.0%20(compatible%3B%20Lavf59.27&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1&clientid=3' +
    `&call=record_done&recorder=&name=${encodeURIComponent(name)}&path=${encodeURIComponent(file)}`
  );
}

function dvrBody(stream: string, file: string, cwd = '/usr/local/srs'): Record<string, unknown> {
  return {
    server_id: 'vid-0xk989d',
    service_id: 'f4o4aw1l',
    action: 'on_dvr',
    client_id: '341w361a',
    ip: '127.0.0.1',
    vhost: '__defaultVhost__',
    app: 'live',
    tcUrl: 'rtmp://127.0.0.1:1935/live',
    stream,
    param: '',
    stream_url: `/live/${stream}`,
    stream_id: 'vid-124q9y3',
    cwd,
    file,
  };
}

describe.each(modes)('recordings become videos (%s)', (mode) => {
  let t: TestApp;
  let owner: { token: string; id: string };
  let root: string;
  let recDir: string;
  let outside: string;
  let fixtureFlv: string;
  let fixtureMp4: string;
  let videosDir: string;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'onair-rec-e2e-')));
    recDir = path.join(root, 'recordings');
    outside = path.join(root, 'outside');
    fs.mkdirSync(recDir);
    fs.mkdirSync(outside);
    fixtureFlv = path.join(root, 'clip.flv');
    fixtureMp4 = path.join(root, 'clip.mp4');
    await Promise.all([makeClip(fixtureFlv, 3, 'flv'), makeClip(fixtureMp4, 2, 'mp4')]);
    t = await startApp(mode, {
      RECORDINGS_DIR: recDir,
      MAX_STREAMS_PER_USER: '1000',
      THROTTLE_LIMIT: '100000',
      LOG_LEVEL: 'info',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_BACKOFF_BASE_MS: '50',
      WEBHOOK_BACKOFF_MAX_MS: '200',
      WEBHOOK_POLL_INTERVAL_MS: '100',
    });
    videosDir = path.join(t.env.DATA_DIR, 'videos');
    owner = await t.http.user('rec');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await receiver?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  /** Copies a fixture into the recordings dir under a fresh name, as the media server leaves it. */
  const recorded = (fixture: string, name = `${randomUUID()}${path.extname(fixture)}`) => {
    const file = path.join(recDir, name);
    fs.copyFileSync(fixture, file);
    return file;
  };
  const recordings = async (streamId: string, query = '') => {
    const r = await t.http.get(`/api/v1/streams/${streamId}/recordings${query}`);
    expect(r.status).toBe(200);
    return r.body as { items: any[]; nextCursor: string | null };
  };
  const waitRecordings = (streamId: string, n: number) =>
    until(
      async () => {
        const page = await recordings(streamId);
        return page.items.length >= n ? page : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: `no ${n} recording(s) for ${streamId}` },
    );
  /** No temporary remux output may be left behind, only stored videos. */
  const leftovers = () => listDir(videosDir).filter((f) => f.startsWith('.'));
  const logged = (needle: string) => t.logs().some((l) => l.includes(needle));
  /** The original is removed right after the video is committed (listed), so wait for it. */
  const gone = (file: string) =>
    until(() => !fs.existsSync(file), { timeoutMs: 5_000, message: `${file} was kept` });

  it('imports an nginx-rtmp recording as a playable faststart MP4 video of the stream', async () => {
    const s = await createStream(t.http, owner.token, 'Tech talk');
    const file = recorded(fixtureFlv);
    const before = await metricValue(t.http, IMPORTED);

    const started = Date.now();
    const r = await nginxHook(t.http, recordDoneBody(s.id, file));
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);

    const page = await waitRecordings(s.id, 1);
    const v = page.items[0];
    expect(Object.keys(v).sort()).toEqual([
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
    expect(v).toMatchObject({
      source: 'recording',
      streamId: s.id,
      ownerId: owner.id,
      contentType: 'video/mp4',
    });
    expect(v.title).toMatch(/^Tech talk · \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(Math.abs(v.durationSec - 3)).toBeLessThanOrEqual(0.5);
    expect(page.nextCursor).toBeNull();

    const content = await fetch(`${t.url}/api/v1/videos/${v.id}/content`);
    expect(content.status).toBe(200);
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(bytes.length).toBe(v.size);
    const boxes = topLevelBoxes(bytes);
    expect(boxes[0]).toBe('ftyp');
    expect(boxes.indexOf('moov')).toBeGreaterThan(-1);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));

    expect((await t.http.get(`/api/v1/videos/${v.id}`)).body).toEqual(v);
    await gone(file);
    expect(await metricValue(t.http, IMPORTED)).toBe(before + 1);
    expect(leftovers()).toEqual([]);
  });

  it('delivers a signed recording.ready webhook naming the imported video of an nginx-rtmp recording', async () => {
    const hookPath = `/hook/${randomUUID()}`;
    const sub = await t.http.post(
      '/api/v1/webhooks',
      { url: `http://127.0.0.1:${receiver.port}${hookPath}`, events: ['recording.ready'] },
      owner.token,
    );
    expect(sub.status).toBe(201);
    const secret = sub.body.secret as string;
    const s = await createStream(t.http, owner.token, 'Announced');
    const file = recorded(fixtureFlv);

    expect((await nginxHook(t.http, recordDoneBody(s.id, file))).status).toBe(200);
    const got = await until(() => receiver.received.find((r) => r.path === hookPath), {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: 'recording.ready not delivered',
    });

    expect(verifySignature(secret, got.raw, got.headers['onair-signature'] as string)).toBe(true);
    expect(verifySignature('whsec_wrong', got.raw, got.headers['onair-signature'] as string)).toBe(
      false,
    );
    expect(got.headers['onair-event']).toBe('recording.ready');
    expect(got.headers['onair-delivery']).toBe(got.body.id);
    expect(got.body.type).toBe('recording.ready');
    expect(got.body.data).toMatchObject({ streamId: s.id });
    expect(Math.abs((got.body.data.durationSec as number) - 3)).toBeLessThanOrEqual(0.5);

    const video = await t.http.get(`/api/v1/videos/${got.body.data.videoId as string}`);
    expect(video.status).toBe(200);
    expect(video.body).toMatchObject({
      id: got.body.data.videoId,
      source: 'recording',
      streamId: s.id,
      ownerId: owner.id,
      durationSec: got.body.data.durationSec,
    });
  });

  it('imports an SRS on_dvr recording, relative to the cwd SRS reports, and lists newest first', async () => {
    const s = await createStream(t.http, owner.token, 'Dvr show');
    const sub = path.join(recDir, 'live');
    fs.mkdirSync(sub, { recursive: true });
    const first = recorded(fixtureMp4, `live/${randomUUID()}.mp4`);
    const r1 = await srsHook(t.http, dvrBody(s.id, `./live/${path.basename(first)}`, recDir));
    expect(r1.status).toBe(200);
    expect(r1.body).toEqual({ code: 0 });
    await waitRecordings(s.id, 1);

    const second = recorded(fixtureFlv);
    const r2 = await srsHook(t.http, dvrBody(s.id.toUpperCase(), second));
    expect(r2.body).toEqual({ code: 0 });
    const both = await waitRecordings(s.id, 2);
    expect(both.items.map((v) => Math.round(v.durationSec))).toEqual([3, 2]);
    await gone(first);
    await gone(second);

    const p1 = await recordings(s.id, '?limit=1');
    expect(p1.items).toHaveLength(1);
    expect(p1.items[0].id).toBe(both.items[0].id);
    const p2 = await recordings(s.id, `?limit=1&cursor=${p1.nextCursor}`);
    expect(p2.items.map((v) => v.id)).toEqual([both.items[1].id]);
    expect(p2.nextCursor).toBeNull();
    // Only this stream's recordings: the other stream's list is empty.
    const other = await createStream(t.http, owner.token, 'Quiet');
    expect((await recordings(other.id)).items).toEqual([]);
  });

  it('refuses paths outside the directory, symlinks out, directories, missing files and unknown streams', async () => {
    const s = await createStream(t.http, owner.token, 'Refusals');
    const secret = path.join(outside, `${randomUUID()}.flv`);
    fs.copyFileSync(fixtureFlv, secret);
    const link = path.join(recDir, `${randomUUID()}.flv`);
    fs.symlinkSync(secret, link);
    const dir = path.join(recDir, `${randomUUID()}.flv`);
    fs.mkdirSync(dir);
    const good = recorded(fixtureFlv);
    const before = await metricValue(t.http, FAILED);

    const refused: [string, string][] = [
      [s.id, `${recDir}/../outside/${path.basename(secret)}`],
      [s.id, secret],
      [s.id, link],
      [s.id, dir],
      [s.id, path.join(recDir, 'missing.flv')],
      [s.id, path.basename(good)],
      [randomUUID(), good],
      ['not-a-stream', good],
    ];
    for (const [name, file] of refused) {
      const r = await nginxHook(t.http, recordDoneBody(name, file));
      expect({ name, file, status: r.status }).toEqual({ name, file, status: 200 });
    }
    const srs = await srsHook(t.http, dvrBody(s.id, '../outside/x.flv', recDir));
    expect(srs.body).toEqual({ code: 0 });

    expect(await metricValue(t.http, FAILED)).toBe(before + refused.length + 1);
    expect(logged('path refused: outside-recordings-dir')).toBe(true);
    expect(logged('path refused: not-a-file')).toBe(true);
    expect(logged('path refused: not-found')).toBe(true);
    expect(logged('no stream has this name')).toBe(true);
    // Nothing was imported and nothing was touched.
    expect((await recordings(s.id)).items).toEqual([]);
    expect(fs.existsSync(secret)).toBe(true);
    expect(fs.existsSync(good)).toBe(true);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('keeps a corrupt recording where it is, counts it failed and leaves no half-imported video', async () => {
    const s = await createStream(t.http, owner.token, 'Broken');
    const corrupt = path.join(recDir, `${randomUUID()}.flv`);
    fs.writeFileSync(corrupt, Buffer.concat([Buffer.from('FLV\x01\x05'), randomBytes(20_000)]));
    const truncated = path.join(recDir, `${randomUUID()}.flv`);
    fs.writeFileSync(truncated, fs.readFileSync(fixtureFlv).subarray(0, 13));
    const before = await metricValue(t.http, FAILED);
    const videosBefore = listDir(videosDir);

    for (const file of [corrupt, truncated])
      expect((await nginxHook(t.http, recordDoneBody(s.id, file))).status).toBe(200);
    await until(async () => (await metricValue(t.http, FAILED)) >= before + 2, {
      timeoutMs: 30_000,
      message: 'the corrupt recordings were not reported as failed',
    }).catch((err: Error) => {
      // What the intake and the worker said, so that a failure here explains itself.
      const lines = t.logs().filter((l) => /"context":"Recording/.test(l));
      throw new Error(
        `${err.message}\n--- recording log lines ---\n${lines.slice(-40).join('\n')}`,
      );
    });
    expect((await recordings(s.id)).items).toEqual([]);
    expect(fs.existsSync(corrupt)).toBe(true);
    expect(fs.existsSync(truncated)).toBe(true);
    expect(listDir(videosDir)).toEqual(videosBefore);
    expect(logged('Recording not imported; the original file is kept where it is')).toBe(true);
  });

  it('probes the duration of an upload', async () => {
    const fd = new FormData();
    fd.append('title', 'Uploaded clip');
    fd.append('file', await fs.openAsBlob(fixtureMp4, { type: 'video/mp4' }), 'clip.mp4');
    const r = await fetch(`${t.url}/api/v1/videos`, {
      method: 'POST',
      body: fd,
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(r.status).toBe(201);
    const v = (await r.json()) as { durationSec: number; source: string; streamId: null };
    expect(v).toMatchObject({ source: 'upload', streamId: null });
    expect(Math.abs(v.durationSec - 2)).toBeLessThanOrEqual(0.5);
  });

  it('answers 404 for the recordings of an unknown stream and 400 for a bad id', async () => {
    const unknown = await t.http.get(`/api/v1/streams/${randomUUID()}/recordings`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    const bad = await t.http.get('/api/v1/streams/nope/recordings');
    expect(bad.status).toBe(400);
    const s = await createStream(t.http, owner.token, 'Paging');
    const badLimit = await t.http.get(`/api/v1/streams/${s.id}/recordings?limit=0`);
    expect(badLimit.status).toBe(400);
    const extra = await t.http.get(`/api/v1/streams/${s.id}/recordings?foo=1`);
    expect(extra.status).toBe(400);
  });
});

describe('recordings without RECORDINGS_DIR (embedded)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('embedded', { LOG_LEVEL: 'info' });
  });
  afterAll(async () => t?.close());

  it('refuses every recording with a log line and leaves the file alone', async () => {
    const owner = await t.http.user('norec');
    const s = await createStream(t.http, owner.token, 'No dir');
    const file = path.join(t.env.DATA_DIR, 'x.flv');
    fs.writeFileSync(file, 'FLV');
    const before = await metricValue(t.http, FAILED);
    const r = await nginxHook(t.http, recordDoneBody(s.id, file));
    expect(r.status).toBe(200);
    expect(await metricValue(t.http, FAILED)).toBe(before + 1);
    expect(t.logs().some((l) => l.includes('RECORDINGS_DIR is not set'))).toBe(true);
    expect(fs.existsSync(file)).toBe(true);
  });
});
