/**
 * A recording reported just before a crash is still imported after the restart: the job is in
 * the database before the hook answers, and a job whose worker died is taken up again once its
 * lease lapses. Runs the built app (dist/) as a real process and kills it with SIGKILL.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Mode, modeEnv, ModeEnv } from '../helpers/modes';
import { AppProcess, spawnApp } from '../helpers/process';
import { listDir, makeClip } from '../helpers/recordings';
import { hasServices } from '../helpers/services';
import { until } from '../helpers/wait';
import { createStream, metricValue, nginxHook } from '../media/hook-client';

const modes: Mode[] = hasServices() ? ['embedded', 'clustered'] : ['embedded'];
if (!hasServices())
  process.stderr.write('!!! SKIPPED clustered recordings restart: needs PostgreSQL and Redis\n');

describe.each(modes)('recordings survive a crash (%s)', (mode) => {
  let root: string;
  let m: ModeEnv | undefined;
  const envs: ModeEnv[] = [];
  const apps: AppProcess[] = [];

  beforeAll(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'onair-rec-restart-')));
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop('SIGKILL')));
    await Promise.all(envs.map((e) => e.cleanup()));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('imports a recording after the instance importing it was killed', async () => {
    const recDir = path.join(root, 'recordings');
    fs.mkdirSync(recDir);
    // The first instance gets an ffmpeg that only says it started and then hangs, so the kill
    // below lands while the job is claimed and running, every time.
    const standin = path.join(root, 'bin');
    fs.mkdirSync(standin);
    const marker = path.join(root, 'ffmpeg-started');
    fs.writeFileSync(
      path.join(standin, 'ffmpeg'),
      `#!/bin/sh\necho $$ > '${marker}'\nexec sleep 300\n`,
      { mode: 0o755 },
    );
    const clip = path.join(recDir, 'live-1764600000.flv');
    await makeClip(clip, 3, 'flv');
    m = await modeEnv(mode, { RECORDINGS_DIR: recDir, LOG_LEVEL: 'info' });
    envs.push(m);

    const first = await spawnApp({ ...m.env, PATH: `${standin}:${process.env.PATH ?? ''}` });
    apps.push(first);
    const owner = await first.http.user('crash');
    const s = await createStream(first.http, owner.token, 'Before the crash');
    const body =
      'app=live&flashver=FMLE/3.0&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1&clientid=3' +
      `&call=record_done&recorder=&name=${s.id}&path=${encodeURIComponent(clip)}`;
    expect((await nginxHook(first.http, body)).status).toBe(200);
    await until(() => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim(), {
      timeoutMs: 15_000,
      message: `the import never started\n${first.output()}`,
    });
    await first.stop('SIGKILL');
    process.kill(Number(fs.readFileSync(marker, 'utf8').trim()), 'SIGKILL');
    // Killed mid-import: nothing imported, the original untouched.
    expect(fs.existsSync(clip)).toBe(true);
    expect(listDir(path.join(m.env.DATA_DIR, 'videos')).filter((f) => !f.startsWith('.'))).toEqual(
      [],
    );

    const second = await spawnApp(m.env);
    apps.push(second);
    const items = await until(
      async () => {
        const r = await second.http.get(`/api/v1/streams/${s.id}/recordings`);
        return r.status === 200 && r.body.items.length > 0 ? (r.body.items as any[]) : undefined;
      },
      {
        timeoutMs: 75_000,
        intervalMs: 250,
        message: `the recording was not imported after the restart\n${second.output()}`,
      },
    );
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ source: 'recording', streamId: s.id, ownerId: owner.id });
    expect(Math.abs(items[0].durationSec - 3)).toBeLessThanOrEqual(0.5);
    // The original goes right after the video is committed.
    await until(() => !fs.existsSync(clip), { timeoutMs: 5_000, message: 'original kept' });
    expect(await metricValue(second.http, 'recordings_total{result="imported"}')).toBe(1);
  }, 150_000);

  it('hands a running import back on SIGTERM, so the next start imports it at once', async () => {
    const recDir = path.join(root, 'recordings-term');
    fs.mkdirSync(recDir);
    const standin = path.join(root, 'bin-term');
    fs.mkdirSync(standin);
    const marker = path.join(root, 'ffmpeg-term-started');
    fs.writeFileSync(
      path.join(standin, 'ffmpeg'),
      `#!/bin/sh\necho $$ > '${marker}'\nexec sleep 300\n`,
      { mode: 0o755 },
    );
    const clip = path.join(recDir, 'live-1764600001.flv');
    await makeClip(clip, 2, 'flv');
    const e = await modeEnv(mode, { RECORDINGS_DIR: recDir, LOG_LEVEL: 'info' });
    envs.push(e);

    const first = await spawnApp({ ...e.env, PATH: `${standin}:${process.env.PATH ?? ''}` });
    apps.push(first);
    const owner = await first.http.user('term');
    const s = await createStream(first.http, owner.token, 'Before the restart');
    const body =
      'app=live&flashver=FMLE/3.0&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1&clientid=3' +
      `&call=record_done&recorder=&name=${s.id}&path=${encodeURIComponent(clip)}`;
    expect((await nginxHook(first.http, body)).status).toBe(200);
    await until(() => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim(), {
      timeoutMs: 15_000,
      message: `the import never started\n${first.output()}`,
    });
    expect(await first.stop('SIGTERM')).toBe(0);
    // The stand-in ffmpeg was stopped with the import.
    const pid = Number(fs.readFileSync(marker, 'utf8').trim());
    expect(() => process.kill(pid, 0)).toThrow();
    expect(fs.existsSync(clip)).toBe(true);

    // Released, not leased: the next start takes it up without waiting for a lease to lapse.
    const second = await spawnApp(e.env);
    apps.push(second);
    const restartedAt = Date.now();
    const items = await until(
      async () => {
        const r = await second.http.get(`/api/v1/streams/${s.id}/recordings`);
        return r.status === 200 && r.body.items.length > 0 ? (r.body.items as any[]) : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: `not imported\n${second.output()}` },
    );
    expect(Date.now() - restartedAt).toBeLessThan(20_000);
    expect(items).toHaveLength(1);
    // The original goes right after the video is committed.
    await until(() => !fs.existsSync(clip), { timeoutMs: 5_000, message: 'original kept' });
  }, 120_000);
});
