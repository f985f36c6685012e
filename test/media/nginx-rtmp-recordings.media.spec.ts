/**
 * A real nginx-rtmp records what ffmpeg publishes (record all, record_unique) and reports it with
 * on_record_done; OnAir turns it into an MP4 video of the stream. OnAir runs in this process:
 * nothing here may block the event loop while nginx waits on a hook this process serves.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startApp, TestApp } from '../helpers/app';
import {
  describeMedia,
  NginxRtmpInstance,
  startFfmpegPublisher,
  startNginxRtmp,
  waitFor,
} from '../helpers/media';
import { ffprobeDuration, listDir, topLevelBoxes } from '../helpers/recordings';
import { createStream } from './hook-client';

describeMedia('nginx-rtmp recordings become videos (embedded)', () => {
  let t: TestApp;
  let media: NginxRtmpInstance;
  let user: { token: string; id: string };
  let root: string;
  let recordingsDir: string;

  beforeAll(async () => {
    // nginx workers run as nobody: the whole path must be traversable, the directory writable.
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'onair-rec-media-')));
    fs.chmodSync(root, 0o755);
    recordingsDir = path.join(root, 'recordings');
    t = await startApp('embedded', { RECORDINGS_DIR: recordingsDir, LOG_LEVEL: 'info' });
    user = await t.http.user('recmedia');
    media = await startNginxRtmp({
      hookUrl: `${t.url}/api/v1/hooks/nginx-rtmp`,
      hookSecret: t.env.HOOK_SECRET,
      recordingsDir,
    });
  }, 15 * 60_000);

  afterAll(async () => {
    await media?.stop();
    await t?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('turns a published 8 s clip into a playable faststart MP4 listed under the stream', async () => {
    const s = await createStream(t.http, user.token, 'Recorded talk');
    const pub = startFfmpegPublisher(`${media.rtmpBase}/${s.id}?key=${s.key}`, { durationSec: 8 });
    // While publishing, nginx-rtmp writes <id>-<unix time>.flv into the recordings directory.
    await waitFor(() => listDir(recordingsDir).some((f) => f.startsWith(`${s.id}-`)), {
      timeoutMs: 15_000,
      message: `nginx-rtmp wrote no recording\n${media.logs().slice(-3000)}\n${pub.stderr()}`,
    });
    expect(await pub.exited).toBe(0);

    const items = await waitFor(
      async () => {
        const r = await t.http.get(`/api/v1/streams/${s.id}/recordings`);
        return r.status === 200 && r.body.items.length > 0 ? (r.body.items as any[]) : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        message: `no recording was imported\n${media.logs().slice(-3000)}\n${t.logs().slice(-20).join('\n')}`,
      },
    );
    expect(items).toHaveLength(1);
    const v = items[0];
    expect(v).toMatchObject({
      source: 'recording',
      streamId: s.id,
      ownerId: user.id,
      contentType: 'video/mp4',
    });
    expect(v.title).toMatch(/^Recorded talk · /);
    expect(Math.abs(v.durationSec - 8)).toBeLessThanOrEqual(1);

    const res = await fetch(`${t.url}/api/v1/videos/${v.id}/content`);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(v.size);
    const boxes = topLevelBoxes(bytes);
    expect(boxes.indexOf('moov')).toBeGreaterThan(-1);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    // Playable: an independent ffprobe reads the downloaded file with the same length.
    const copy = path.join(root, `${v.id}.mp4`);
    fs.writeFileSync(copy, bytes);
    expect(Math.abs((await ffprobeDuration(copy)) - 8)).toBeLessThanOrEqual(1);

    // The original .flv is gone once imported.
    await waitFor(() => !listDir(recordingsDir).some((f) => f.startsWith(`${s.id}-`)), {
      timeoutMs: 5_000,
      message: 'the original recording was kept',
    });
  });
});
