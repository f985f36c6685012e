/**
 * HLS through a real nginx-rtmp (docker/nginx-rtmp/nginx.conf): every playlist and segment
 * request is checked by OnAir (auth_request → GET /api/v1/hooks/hls) against the playback
 * session in its query, and every allowed request refreshes that session (stream.viewers).
 * OnAir runs in this process: nothing here may block the event loop while nginx waits on it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startApp, TestApp } from '../helpers/app';
import {
  FfmpegProcess,
  describeMedia,
  NginxRtmpInstance,
  startFfmpegPublisher,
  startNginxRtmp,
  waitFor,
} from '../helpers/media';
import { createStream, getStream, playSession, signPlay } from './hook-client';

/** Short, so that an expired session is seen within a test; long against the 1 s poll period. */
const SESSION_TTL_SEC = 4;

/** A player polling a live playlist and its newest segment about once a second, like hls.js. */
interface Poller {
  stop(): void;
  /** Statuses seen so far (playlist and segment requests). */
  statuses: number[];
}

describeMedia('HLS playback checked by OnAir (nginx auth_request)', () => {
  let t: TestApp;
  let media: NginxRtmpInstance;
  let user: { token: string; id: string };
  const publishers: FfmpegProcess[] = [];
  const pollers: Poller[] = [];

  beforeAll(async () => {
    t = await startApp('embedded', {
      MAX_STREAMS_PER_USER: '100',
      PLAY_SESSION_TTL_SEC: String(SESSION_TTL_SEC),
    });
    user = await t.http.user('hls');
    media = await startNginxRtmp({
      hookUrl: `${t.url}/api/v1/hooks/nginx-rtmp`,
      hookSecret: t.env.HOOK_SECRET,
    });
  }, 15 * 60_000);

  afterEach(async () => {
    for (const p of pollers.splice(0)) p.stop();
    await Promise.all(publishers.splice(0).map((p) => p.stop()));
  });

  afterAll(async () => {
    await media?.stop();
    await t?.close();
  });

  const hls = (path: string) => fetch(`${media.httpBase}${path}`);

  /** A live stream with at least one segment in its playlist. */
  const liveStream = async () => {
    const s = await createStream(t.http, user.token);
    const pub = startFfmpegPublisher(`${media.rtmpBase}/${s.id}?key=${s.key}`);
    publishers.push(pub);
    await waitFor(async () => (await getStream(t.http, s.id)).status === 'live', {
      timeoutMs: 15_000,
      message: `stream never went live; ffmpeg: ${pub.stderr()}\n${media.logs().slice(-3000)}`,
    });
    // Read from disk, not through nginx: a request would open a session and count a viewer.
    const playlistFile = path.join(media.hlsDir, `${s.id}.m3u8`);
    await waitFor(
      () => fs.existsSync(playlistFile) && fs.readFileSync(playlistFile, 'utf8').includes('.ts'),
      {
        timeoutMs: 20_000,
        message: `no HLS playlist with a segment\n${media.logs().slice(-3000)}`,
      },
    );
    return { ...s, pub };
  };

  /** Segment URIs of a served playlist, as the player resolves them. */
  const segments = (playlist: string) =>
    playlist.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

  const poll = (id: string, query: string): Poller => {
    let stopped = false;
    const statuses: number[] = [];
    const loop = async () => {
      while (!stopped) {
        try {
          const r = await hls(`/hls/${id}.m3u8?${query}`);
          statuses.push(r.status);
          const last = segments(await r.text()).pop();
          if (last !== undefined) {
            const seg = await hls(`/hls/${last}`);
            statuses.push(seg.status);
            await seg.arrayBuffer();
          }
        } catch {
          statuses.push(0);
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    void loop();
    const p = { stop: () => (stopped = true), statuses };
    pollers.push(p);
    return p;
  };

  it('serves a playlist and its segments to a session, with the session on every segment URI', async () => {
    const s = await liveStream();
    const a = await playSession(t.http, s.id);
    expect(a.body.hls).toBe(`http://localhost:8080/hls/${s.id}.m3u8?${a.query}`);

    const playlist = await hls(`/hls/${s.id}.m3u8?${a.query}`);
    expect(playlist.status).toBe(200);
    expect(playlist.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(playlist.headers.get('cache-control')).toMatch(/no-cache/);
    expect(playlist.headers.get('access-control-allow-origin')).toBe('*');
    const uris = segments(await playlist.text());
    expect(uris.length).toBeGreaterThan(0);
    for (const uri of uris) expect(uri).toMatch(new RegExp(`^${s.id}-\\d+\\.ts\\?${a.query}$`));

    const seg = await hls(`/hls/${uris[uris.length - 1]}`);
    expect(seg.status).toBe(200);
    expect(seg.headers.get('content-type')).toBe('video/mp2t');
    const bytes = Buffer.from(await seg.arrayBuffer());
    expect(bytes[0]).toBe(0x47); // MPEG-TS sync byte
    expect((await getStream(t.http, s.id)).viewers).toBe(1);
  });

  it('refuses a segment without the session, a forged, expired or foreign session, and an offline stream', async () => {
    const s = await liveStream();
    const other = await liveStream();
    const a = await playSession(t.http, s.id);
    const playlist = await (await hls(`/hls/${s.id}.m3u8?${a.query}`)).text();
    const segment = segments(playlist).pop()!.split('?')[0];
    expect((await hls(`/hls/${segment}?${a.query}`)).status).toBe(200);

    const forged = a.sig.slice(0, -1) + (a.sig.endsWith('A') ? 'B' : 'A');
    const past = Math.floor(Date.now() / 1000) - 10;
    const foreign = await playSession(t.http, other.id);
    for (const [what, path] of [
      ['segment without query', `/hls/${segment}`],
      ['playlist without query', `/hls/${s.id}.m3u8`],
      ['forged', `/hls/${s.id}.m3u8?sid=${a.sid}&exp=${a.exp}&sig=${forged}`],
      ['expired', `/hls/${s.id}.m3u8?sid=${a.sid}&exp=${past}&sig=${signPlay(s.id, a.sid, past)}`],
      ['other stream', `/hls/${s.id}.m3u8?${foreign.query}`],
      ['other stream segment', `/hls/${segment}?${foreign.query}`],
    ]) {
      const r = await hls(path);
      expect({ what, status: r.status }).toEqual({ what, status: 403 });
      // Readable by a page on another origin, so the player can tell "refused" from "down".
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
    }

    await s.pub.stop();
    await waitFor(async () => (await getStream(t.http, s.id)).status === 'idle', {
      timeoutMs: 15_000,
      message: 'stream stayed live after ffmpeg stopped',
    });
    expect((await hls(`/hls/${s.id}.m3u8?${a.query}`)).status).toBe(403);
    expect((await hls(`/hls/${segment}?${a.query}`)).status).toBe(403);
  });

  it('counts two polling sessions as 2 viewers, and 1 once one of them is silent for the TTL', async () => {
    const s = await liveStream();
    const a = await playSession(t.http, s.id);
    const b = await playSession(t.http, s.id);
    const pa = poll(s.id, a.query);
    const pb = poll(s.id, b.query);
    await waitFor(async () => (await getStream(t.http, s.id)).viewers === 2, {
      timeoutMs: 10_000,
      message: 'two polling players were not counted as 2',
    });
    // Many requests per session, still two viewers.
    await waitFor(() => pa.statuses.length >= 4 && pb.statuses.length >= 4, {
      timeoutMs: 15_000,
      message: 'players did not poll',
    });
    expect((await getStream(t.http, s.id)).viewers).toBe(2);
    expect([...pa.statuses, ...pb.statuses].every((code) => code === 200)).toBe(true);

    pb.stop();
    const stoppedAt = Date.now();
    // HLS has no "done": the silent session is counted until its TTL runs out, not released.
    expect((await getStream(t.http, s.id)).viewers).toBe(2);
    await waitFor(async () => (await getStream(t.http, s.id)).viewers === 1, {
      timeoutMs: (SESSION_TTL_SEC + 6) * 1000,
      message: 'the silent session was never dropped',
    });
    // b's last request may have been up to ~1 s before stop(); its session lasted the TTL from there.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual((SESSION_TTL_SEC - 1.5) * 1000);
    expect((await getStream(t.http, s.id)).viewers).toBe(1);
  });
});
