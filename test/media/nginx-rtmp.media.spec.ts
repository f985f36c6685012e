/**
 * A real nginx-rtmp (rendered from docker/nginx-rtmp/nginx.conf) calls OnAir's hooks while
 * ffmpeg publishes and plays. OnAir runs in this process: nothing here may block the event
 * loop (no execSync/spawnSync) while nginx waits on a hook this process serves.
 */
import * as fs from 'node:fs';
import { startApp, TestApp } from '../helpers/app';
import {
  FfmpegProcess,
  describeMedia,
  NginxRtmpInstance,
  playRtmp,
  startFfmpegPublisher,
  startRtmpPlayer,
  startNginxRtmp,
  waitFor,
} from '../helpers/media';
import { PublishingService } from '../../src/streams/publishing.service';
import { createStream, getStream, metricValue, playSession } from './hook-client';

/** Resolves with ffmpeg's exit code, or 'running' if it is still publishing after `ms`. */
async function exitWithin(p: FfmpegProcess, ms: number): Promise<number | null | 'running'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.exited,
      new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Publishing and stream-state helpers over a suite's app and nginx-rtmp (set in its beforeAll). */
function streamHelpers(
  suite: () => { t: TestApp; media: NginxRtmpInstance },
  publishers: FfmpegProcess[],
) {
  const publish = (id: string, key: string) => {
    const p = startFfmpegPublisher(`${suite().media.rtmpBase}/${id}?key=${key}`);
    publishers.push(p);
    return p;
  };
  const status = async (id: string) => (await getStream(suite().t.http, id)).status as string;
  const waitStatus = (id: string, want: string, what: string) =>
    waitFor(async () => (await status(id)) === want, {
      timeoutMs: 15_000,
      message: `${what}\n${suite().media.logs().slice(-3000)}`,
    });
  return { publish, status, waitStatus };
}

describeMedia('nginx-rtmp + ffmpeg against the hooks (embedded)', () => {
  let t: TestApp;
  let media: NginxRtmpInstance;
  let user: { token: string; id: string };
  const publishers: FfmpegProcess[] = [];

  beforeAll(async () => {
    t = await startApp('embedded', { MAX_STREAMS_PER_USER: '100' });
    user = await t.http.user('media');
    media = await startNginxRtmp({
      hookUrl: `${t.url}/api/v1/hooks/nginx-rtmp`,
      hookSecret: t.env.HOOK_SECRET,
    });
  }, 15 * 60_000);

  /** Publishes OnAir's nginx-rtmp hook refused, from its own metric. */
  const rejectedPublishes = () =>
    metricValue(t.http, 'stream_publish_attempts_total{result="rejected",server="nginx-rtmp"}');

  afterEach(async () => {
    await Promise.all(publishers.splice(0).map((p) => p.stop()));
  });

  afterAll(async () => {
    await media?.stop();
    await t?.close();
  });

  const { publish, status, waitStatus } = streamHelpers(() => ({ t, media }), publishers);

  it('goes live with the right key, writes HLS, and goes idle when the publisher stops', async () => {
    const s = await createStream(t.http, user.token);
    const pub = publish(s.id, s.key);
    await waitStatus(s.id, 'live', `stream never went live; ffmpeg: ${pub.stderr()}`);
    const view = await getStream(t.http, s.id);
    expect(Date.parse(view.startedAt)).toBeGreaterThan(Date.now() - 60_000);
    await waitFor(
      () => {
        const files = fs.readdirSync(media.hlsDir);
        return (
          files.includes(`${s.id}.m3u8`) &&
          files.some((f) => f.startsWith(`${s.id}-`) && f.endsWith('.ts'))
        );
      },
      { timeoutMs: 15_000, message: 'no HLS playlist and segment appeared' },
    );
    expect(fs.readFileSync(`${media.hlsDir}/${s.id}.m3u8`, 'utf8')).toContain('#EXTM3U');

    await pub.stop();
    await waitStatus(s.id, 'idle', 'stream stayed live after the publisher stopped');
    expect((await getStream(t.http, s.id)).endedAt).not.toBeNull();
  });

  it('refuses a wrong key: ffmpeg exits 1 and the stream stays idle', async () => {
    const s = await createStream(t.http, user.token);
    const other = await createStream(t.http, user.token);
    const before = await rejectedPublishes();
    const pub = publish(s.id, other.key);
    expect(await exitWithin(pub, 15_000)).toBe(1);
    expect(await status(s.id)).toBe('idle');
    // The refusal is OnAir's (its hook answered 403), not a media-server failure.
    expect((await rejectedPublishes()) - before).toBe(1);
  });

  it('refuses a rotated key and accepts the new one', async () => {
    const s = await createStream(t.http, user.token);
    const rotated = await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, user.token);
    expect(rotated.status).toBe(200);
    const before = await rejectedPublishes();
    const old = publish(s.id, s.key);
    expect(await exitWithin(old, 15_000)).toBe(1);
    expect(await status(s.id)).toBe('idle');
    expect((await rejectedPublishes()) - before).toBe(1);
    publish(s.id, rotated.body.streamKey);
    await waitStatus(s.id, 'live', 'new key was not accepted');
  });

  it('refuses a second publisher while the first is live, and the first stays live', async () => {
    const s = await createStream(t.http, user.token);
    const first = publish(s.id, s.key);
    await waitStatus(s.id, 'live', 'first publisher never went live');
    const before = await rejectedPublishes();
    const second = publish(s.id, s.key);
    expect(await exitWithin(second, 15_000)).toBe(1);
    expect((await rejectedPublishes()) - before).toBe(1);
    // The refused session's publish_done (if any) must not take the stream offline.
    expect(await exitWithin(first, 1500)).toBe('running');
    expect(await status(s.id)).toBe('live');
  });

  it('plays RTMP with a playback session (counted while playing) and refuses a forged one', async () => {
    const s = await createStream(t.http, user.token);
    publish(s.id, s.key);
    await waitStatus(s.id, 'live', 'stream never went live');
    const { sid, exp, sig } = await playSession(t.http, s.id);

    const forged = await playRtmp(
      `${media.rtmpBase}/${s.id}?sid=${sid}&exp=${exp}&sig=${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
    );
    expect(forged.code).toBe(1);
    expect((await getStream(t.http, s.id)).viewers).toBe(0);

    const playing = playRtmp(`${media.rtmpBase}/${s.id}?sid=${sid}&exp=${exp}&sig=${sig}`, {
      seconds: 4,
    });
    await waitFor(async () => (await getStream(t.http, s.id)).viewers === 1, {
      timeoutMs: 10_000,
      message: 'the player was not counted',
    });
    const played = await playing;
    expect({ code: played.code, stderr: played.stderr.slice(-500) }).toEqual({
      code: 0,
      stderr: expect.any(String),
    });
    await waitFor(async () => (await getStream(t.http, s.id)).viewers === 0, {
      timeoutMs: 10_000,
      message: 'the viewer was not counted down after play_done',
    });
  });
});

/** The shipped on_update period, shortened so the suite does not wait 10 s per update. */
const UPDATE_SEC = 2;
/** Shorter than what the RTMP player test watches, so only update_play can keep it counted. */
const SESSION_TTL_SEC = 4;

describeMedia('nginx-rtmp on_update cuts and keeps publishers and players (embedded)', () => {
  let t: TestApp;
  let media: NginxRtmpInstance;
  let user: { token: string; id: string };
  const publishers: FfmpegProcess[] = [];

  beforeAll(async () => {
    // Stale after two update periods: a stream the updates did not confirm would be swept.
    t = await startApp('embedded', {
      MAX_STREAMS_PER_USER: '100',
      STREAM_STALE_SEC: String(2 * UPDATE_SEC),
      PLAY_SESSION_TTL_SEC: String(SESSION_TTL_SEC),
    });
    user = await t.http.user('media');
    media = await startNginxRtmp({
      hookUrl: `${t.url}/api/v1/hooks/nginx-rtmp`,
      hookSecret: t.env.HOOK_SECRET,
      transformConfig: (conf) => {
        if (!conf.includes('notify_update_timeout 10s;'))
          throw new Error('docker/nginx-rtmp/nginx.conf no longer sets notify_update_timeout 10s');
        return conf.replace('notify_update_timeout 10s;', `notify_update_timeout ${UPDATE_SEC}s;`);
      },
    });
  }, 15 * 60_000);

  afterEach(async () => {
    await Promise.all(publishers.splice(0).map((p) => p.stop()));
  });

  afterAll(async () => {
    await media?.stop();
    await t?.close();
  });

  const { publish, status, waitStatus } = streamHelpers(() => ({ t, media }), publishers);
  /** update_publish calls OnAir answered for a stream (the hook runs in this process). */
  const updates = (id: string, confirmed: jest.SpyInstance) =>
    confirmed.mock.calls.filter((c) => c[1] === id).length;

  it('keeps a live publisher going across updates, longer than the stale limit', async () => {
    const s = await createStream(t.http, user.token);
    const pub = publish(s.id, s.key);
    const confirmed = jest.spyOn(t.app.get(PublishingService), 'confirmPublisher');
    try {
      await waitStatus(s.id, 'live', `stream never went live; ffmpeg: ${pub.stderr()}`);
      await waitFor(() => updates(s.id, confirmed) >= 3, {
        timeoutMs: 5 * UPDATE_SEC * 1000,
        message: `nginx-rtmp sent fewer than 3 update_publish calls\n${media.logs().slice(-3000)}`,
      });
      const answers = await Promise.all(
        confirmed.mock.results.map((r) => r.value as Promise<boolean>),
      );
      expect(answers.every(Boolean)).toBe(true);
    } finally {
      confirmed.mockRestore();
    }
    expect({ exit: pub.process.exitCode, signal: pub.process.signalCode }).toEqual({
      exit: null,
      signal: null,
    });
    expect(await status(s.id)).toBe('live');
  });

  it('keeps an RTMP player counted well past the session TTL through update_play, and counts it down at once when it stops', async () => {
    const s = await createStream(t.http, user.token);
    const pub = publish(s.id, s.key);
    await waitStatus(s.id, 'live', `stream never went live; ffmpeg: ${pub.stderr()}`);
    const session = await playSession(t.http, s.id);
    const rtmp = session.body.rtmp as string;
    // The session's own URL, sent to this test's nginx-rtmp (it listens on a free port).
    expect(rtmp).toMatch(new RegExp(`^rtmp://[^/]+/live/${s.id}\\?`));
    const player = startRtmpPlayer(
      rtmp.replace(/^rtmp:\/\/[^/]+/, `rtmp://127.0.0.1:${media.rtmpPort}`),
    );
    publishers.push(player);

    await waitFor(async () => (await getStream(t.http, s.id)).viewers === 1, {
      timeoutMs: 10_000,
      message: `the player was not counted\n${media.logs().slice(-3000)}`,
    });
    const countedAt = Date.now();
    // Twice the TTL from the moment the player was counted: the play hook's grant has long
    // run out, so only update_play (every UPDATE_SEC) can keep the session counted, and only
    // update_publish can keep the stream from being swept (STREAM_STALE_SEC = 2 updates).
    const watchMs = 2 * SESSION_TTL_SEC * 1000;
    const seen: { viewers: number; status: string }[] = [];
    while (Date.now() - countedAt < watchMs) {
      const view = await getStream(t.http, s.id);
      seen.push({ viewers: view.viewers as number, status: view.status as string });
      // Sampling over a fixed window: the point is that nothing changes while time passes.
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(seen.filter((v) => v.viewers !== 1 || v.status !== 'live')).toEqual([]);
    expect(seen.length).toBeGreaterThan(watchMs / 1000);
    for (const p of [pub, player])
      expect({ exit: p.process.exitCode, signal: p.process.signalCode }).toEqual({
        exit: null,
        signal: null,
      });

    await player.stop();
    const stoppedAt = Date.now();
    // A session refreshed at most UPDATE_SEC ago would still count for TTL - UPDATE_SEC = 2 s
    // on its own: only play_done brings it to 0 sooner.
    await waitFor(async () => (await getStream(t.http, s.id)).viewers === 0, {
      timeoutMs: (SESSION_TTL_SEC - UPDATE_SEC) * 1000 - 500,
      intervalMs: 50,
      message: `the viewer was not counted down at once after play_done\n${media.logs().slice(-3000)}`,
    });
    expect(Date.now() - stoppedAt).toBeLessThan((SESSION_TTL_SEC - UPDATE_SEC) * 1000);
    expect(await status(s.id)).toBe('live');
  });

  it('drops the live publisher within one update period after its key is rotated', async () => {
    const s = await createStream(t.http, user.token);
    const pub = publish(s.id, s.key);
    await waitStatus(s.id, 'live', 'stream never went live');
    const rotated = await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, user.token);
    expect(rotated.status).toBe(200);
    // One period plus the time ffmpeg needs to notice the closed connection.
    expect(await exitWithin(pub, UPDATE_SEC * 1000 + 3000)).not.toBe('running');
    await waitStatus(s.id, 'idle', 'stream stayed live after its publisher was dropped');
    publish(s.id, rotated.body.streamKey);
    await waitStatus(s.id, 'live', 'the new key was not accepted after the cut');
  });

  it('drops the live publisher of a deleted stream', async () => {
    const s = await createStream(t.http, user.token);
    const pub = publish(s.id, s.key);
    await waitStatus(s.id, 'live', 'stream never went live');
    expect((await t.http.delete(`/api/v1/streams/${s.id}`, user.token)).status).toBe(204);
    expect(await exitWithin(pub, UPDATE_SEC * 1000 + 3000)).not.toBe('running');
    expect(await status(s.id)).toBe('ended');
  });
});
