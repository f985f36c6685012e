/**
 * Two real OnAir processes sharing one PostgreSQL database and one Redis, as behind the nginx of
 * docker-compose: viewers are exact whichever instance sees a session, and what the HLS check
 * knows of a stream (live or not) follows changes made through the other instance. Runs the
 * built app: `npm run build` first, or point ONAIR_MAIN_JS at a private build.
 */
import { ModeEnv, modeEnv } from '../helpers/modes';
import { AppProcess, spawnApp } from '../helpers/process';
import { describeWithServices } from '../helpers/services';
import { until } from '../helpers/wait';
import {
  getStream,
  hlsCheck,
  metricValue,
  nginxBody,
  nginxHook,
  playSession,
} from '../media/hook-client';

/** Well under the 5 s cache fallback: a change seen sooner came through Redis pub/sub. */
const PROPAGATION_MS = 1500;

describeWithServices('playback across instances (Redis session store)', () => {
  let m: ModeEnv;
  let A: AppProcess;
  let B: AppProcess;

  beforeAll(async () => {
    m = await modeEnv('clustered', { PLAY_SESSION_TTL_SEC: '30', LOG_LEVEL: 'warn' });
    // One after the other: the first one applies the migrations.
    A = await spawnApp(m.env);
    B = await spawnApp(m.env);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([A?.stop('SIGKILL'), B?.stop('SIGKILL')]);
    await m?.cleanup();
  });

  const stream = async () => {
    const u = await A.http.user('pc');
    const r = await A.http.post('/api/v1/streams', { title: 'Cluster playback' }, u.token);
    expect(r.status).toBe(201);
    return { id: r.body.id as string, key: r.body.streamKey as string };
  };
  const hls = (app: AppProcess, id: string, query: string) =>
    hlsCheck(app.http, `/hls/${id}.m3u8?${query}`);

  it('counts each session once, exactly, whichever instance sees it', async () => {
    const s = await stream();
    expect((await nginxHook(A.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(200);
    const one = await playSession(A.http, s.id);
    const two = await playSession(B.http, s.id);
    const three = await playSession(A.http, s.id);
    // Session one polls both instances (a load balancer spreads its requests).
    expect((await hls(A, s.id, one.query)).status).toBe(204);
    expect((await hls(B, s.id, one.query)).status).toBe(204);
    expect((await hls(B, s.id, two.query)).status).toBe(204);
    expect((await nginxHook(B.http, nginxBody('play', s.id, three.query, '90'))).status).toBe(200);
    expect((await getStream(A.http, s.id)).viewers).toBe(3);
    expect((await getStream(B.http, s.id)).viewers).toBe(3);
    expect(await metricValue(A.http, 'stream_viewers')).toBe(3);
    expect(await metricValue(B.http, 'stream_viewers')).toBe(3);
    // play_done on A closes the session B opened, at once, for both.
    expect((await nginxHook(A.http, nginxBody('play_done', s.id, three.query, '90'))).status).toBe(
      200,
    );
    expect((await getStream(B.http, s.id)).viewers).toBe(2);
    expect((await getStream(A.http, s.id)).viewers).toBe(2);
  });

  it('lets the HLS check on one instance follow a stream going live or offline through the other', async () => {
    const s = await stream();
    const v = await playSession(A.http, s.id);
    // B learns (and caches) that the stream is idle.
    expect((await hls(B, s.id, v.query)).status).toBe(403);
    expect((await nginxHook(A.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(200);
    const wentLive = Date.now();
    await until(async () => (await hls(B, s.id, v.query)).status === 204, {
      timeoutMs: PROPAGATION_MS,
      message: 'B kept refusing a stream that went live through A',
    });
    expect(Date.now() - wentLive).toBeLessThan(PROPAGATION_MS);

    expect((await nginxHook(A.http, nginxBody('publish_done', s.id, `key=${s.key}`))).status).toBe(
      200,
    );
    await until(async () => (await hls(B, s.id, v.query)).status === 403, {
      timeoutMs: PROPAGATION_MS,
      message: 'B kept allowing a stream that went offline through A',
    });
    expect((await getStream(B.http, s.id)).viewers).toBe(0);
  });
});
