/**
 * Two real OnAir processes sharing PostgreSQL and Redis sweep the same stale streams: each
 * stream is swept exactly once (one stream:offline for the room's viewers on both instances,
 * streams_swept_total summed over both goes up by one), and a stream kept alive by
 * update_publish sent to either instance is not swept. Runs the built app: `npm run build`.
 */
import { ModeEnv, modeEnv } from '../helpers/modes';
import { AppProcess, spawnApp } from '../helpers/process';
import { describeWithServices } from '../helpers/services';
import { until } from '../helpers/wait';
import { createStream, getStream, metricValue, nginxBody, nginxHook } from '../media/hook-client';
import { ChatClient, connectChat } from './chat-socket-client';

const STALE_SEC = 2;
const PUBLISHER =
  'app=live&flashver=FMLE/3.0%20(compatible%3B%20Lavf59.27&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1';

describeWithServices('sweeper across instances', () => {
  let m: ModeEnv;
  let A: AppProcess;
  let B: AppProcess;
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    m = await modeEnv('clustered', {
      STREAM_STALE_SEC: String(STALE_SEC),
      MAX_STREAMS_PER_USER: '100',
      LOG_LEVEL: 'warn',
    });
    A = await spawnApp(m.env);
    B = await spawnApp(m.env);
  }, 90_000);
  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all([A?.stop('SIGKILL'), B?.stop('SIGKILL')]);
    await m?.cleanup();
  });

  const swept = async () =>
    (await metricValue(A.http, 'streams_swept_total')) +
    (await metricValue(B.http, 'streams_swept_total'));

  it('sweeps a stale stream exactly once, whichever instance gets it', async () => {
    const owner = await A.http.user('sw');
    const roomId = (await A.http.post('/api/v1/rooms', { name: 'sweep' }, owner.token)).body
      .id as string;
    const s = await createStream(A.http, owner.token, 'stale', { roomId });
    const viewers = await Promise.all([connectChat(A.url), connectChat(B.url)]);
    clients.push(...viewers);
    for (const v of viewers) expect((await v.ack('room:join', { roomId })).ok).toBe(true);
    const offline: string[] = [];
    viewers.forEach((v, i) =>
      v.socket.on('stream:offline', (e: { streamId: string }) => {
        if (e.streamId === s.id) offline.push(i === 0 ? 'A' : 'B');
      }),
    );
    const before = await swept();

    expect((await nginxHook(A.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(200);
    await until(async () => (await getStream(B.http, s.id)).status === 'idle', {
      timeoutMs: (STALE_SEC + 8) * 1000,
      message: 'the stale stream was never swept',
    });
    await until(() => offline.length >= 2, { message: 'a viewer missed stream:offline' });
    expect(await swept()).toBe(before + 1);
    // A duplicate would come from the other instance's next sweep: give it two sweep periods
    // (STALE_SEC/4 each) to show up. Nothing to await here: the point is that nothing comes.
    await new Promise((resolve) => setTimeout(resolve, 2 * ((STALE_SEC * 1000) / 4) + 200));
    expect(await swept()).toBe(before + 1);
    expect(offline.sort()).toEqual(['A', 'B']);
  });

  it('does not sweep a stream that update_publish keeps confirming through either instance', async () => {
    const owner = await A.http.user('kp');
    const s = await createStream(A.http, owner.token, 'kept');
    expect((await nginxHook(A.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(200);
    const end = Date.now() + 2 * STALE_SEC * 1000 + 1000;
    for (let i = 0; Date.now() < end; i++) {
      const app = i % 2 === 0 ? B : A;
      const r = await nginxHook(
        app.http,
        `${PUBLISHER}&clientid=3&call=update_publish&time=1&timestamp=1000&name=${s.id}&key=${s.key}`,
      );
      expect(r.status).toBe(200);
      // A publisher's update cadence (well inside STREAM_STALE_SEC): time passing is the point.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect((await getStream(A.http, s.id)).status).toBe('live');
  });
});
