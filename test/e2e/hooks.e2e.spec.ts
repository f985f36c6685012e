import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { STREAM_LIVE, STREAM_OFFLINE, StreamStateEvent } from '../../src/common/ports';
import { startApp, TestApp } from '../helpers/app';
import { suiteModes } from '../helpers/modes';
import { describeWithServices } from '../helpers/services';
import { until } from '../helpers/wait';
import {
  createStream,
  getStream,
  mediamtxBody,
  mediamtxHook,
  metricValue,
  nginxBody,
  nginxHook,
  playSession,
  signPlay,
  signPlayV1,
  srsBody,
  srsHook,
} from '../media/hook-client';

const modes = suiteModes('media-server hooks');

const accepted = (server: string) =>
  `stream_publish_attempts_total{result="accepted",server="${server}"}`;
const rejected = (server: string) =>
  `stream_publish_attempts_total{result="rejected",server="${server}"}`;

describe.each(modes)('media-server hooks (%s)', (mode) => {
  let t: TestApp;
  let owner: { token: string; id: string };

  beforeAll(async () => {
    // debug: the log-hygiene test below must see every line the hooks can write.
    t = await startApp(mode, {
      MAX_STREAMS_PER_USER: '1000',
      THROTTLE_LIMIT: '10000',
      LOG_LEVEL: 'debug',
    });
    owner = await t.http.user('hooks');
  });
  afterAll(async () => t?.close());

  const fresh = (title = 'Hook test') => createStream(t.http, owner.token, title);
  const publish = (id: string, key: string, clientid = '3') =>
    nginxHook(t.http, nginxBody('publish', id, `key=${key}`, clientid));
  const publishDone = (id: string, key: string, clientid = '3') =>
    nginxHook(t.http, nginxBody('publish_done', id, `key=${key}`, clientid));
  /** A player's query: `sid=…&exp=…&sig=…`. */
  const q = (sid: string, exp: string | number, sig: string) => `sid=${sid}&exp=${exp}&sig=${sig}`;
  const play = (id: string, query: string, clientid = '8') =>
    nginxHook(t.http, nginxBody('play', id, query, clientid));
  const playDone = (id: string, query: string, clientid = '8') =>
    nginxHook(t.http, nginxBody('play_done', id, query, clientid));
  const session = (id: string) => playSession(t.http, id);

  describe('nginx-rtmp', () => {
    it('lets the right key publish: live, startedAt, publisher recorded, stream.live emitted, metrics counted', async () => {
      const s = await fresh();
      const room = (await t.http.post('/api/v1/rooms', { name: 'Stage' }, owner.token)).body.id;
      expect(
        (await t.http.patch(`/api/v1/streams/${s.id}`, { roomId: room }, owner.token)).status,
      ).toBe(200);
      const events: StreamStateEvent[] = [];
      const onLive = (e: StreamStateEvent) => events.push(e);
      const bus = t.app.get(EventEmitter2);
      bus.on(STREAM_LIVE, onLive);
      const before = await metricValue(t.http, accepted('nginx-rtmp'));

      const r = await publish(s.id, s.key);
      bus.off(STREAM_LIVE, onLive);
      expect(r.status).toBe(200);
      expect(r.text).toBe('');
      expect(events).toEqual([{ streamId: s.id, roomId: room }]);
      const view = await getStream(t.http, s.id);
      expect(view.status).toBe('live');
      expect(Date.now() - Date.parse(view.startedAt)).toBeLessThan(10_000);
      expect(view.endedAt).toBeNull();
      expect(await metricValue(t.http, accepted('nginx-rtmp'))).toBe(before + 1);
      expect(await metricValue(t.http, 'live_streams')).toBeGreaterThanOrEqual(1);
      // Rooms show the stream that is live in them.
      expect((await t.http.get(`/api/v1/rooms/${room}`)).body.liveStream).toMatchObject({
        id: s.id,
        status: 'live',
      });
    });

    it('lets exactly one of several concurrent publishers win', async () => {
      const s = await fresh();
      const results = await Promise.all(
        ['21', '22', '23', '24', '25'].map((c) => publish(s.id, s.key, c)),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 403, 403, 403, 403]);
      const winner = ['21', '22', '23', '24', '25'][results.findIndex((r) => r.status === 200)];
      // Only the winner's publish_done takes it offline.
      for (const c of ['21', '22', '23', '24', '25'].filter((x) => x !== winner))
        await publishDone(s.id, s.key, c);
      expect((await getStream(t.http, s.id)).status).toBe('live');
      await publishDone(s.id, s.key, winner);
      expect((await getStream(t.http, s.id)).status).toBe('idle');
    });

    it('refuses a second publisher while live, and ignores the publish_done nginx sends for it', async () => {
      const s = await fresh();
      expect((await publish(s.id, s.key, '3')).status).toBe(200);
      const before = await metricValue(t.http, rejected('nginx-rtmp'));
      expect((await publish(s.id, s.key, '5')).status).toBe(403);
      expect(await metricValue(t.http, rejected('nginx-rtmp'))).toBe(before + 1);
      // nginx-rtmp reports the refused session's end with ITS client id: the live one stays live.
      expect((await publishDone(s.id, s.key, '5')).status).toBe(200);
      expect((await getStream(t.http, s.id)).status).toBe('live');

      const events: StreamStateEvent[] = [];
      const onOffline = (e: StreamStateEvent) => events.push(e);
      t.app.get(EventEmitter2).on(STREAM_OFFLINE, onOffline);
      expect((await publishDone(s.id, s.key, '3')).status).toBe(200);
      const idle = await getStream(t.http, s.id);
      expect(idle).toMatchObject({ status: 'idle', viewers: 0 });
      expect(idle.endedAt).not.toBeNull();
      // Idempotent: a repeated publish_done changes nothing (not even endedAt).
      expect((await publishDone(s.id, s.key, '3')).status).toBe(200);
      t.app.get(EventEmitter2).off(STREAM_OFFLINE, onOffline);
      expect(events).toEqual([{ streamId: s.id, roomId: null }]);
      expect((await getStream(t.http, s.id)).endedAt).toBe(idle.endedAt);

      // The stream can go live again afterwards.
      expect((await publish(s.id, s.key, '11')).status).toBe(200);
      expect(await getStream(t.http, s.id)).toMatchObject({ status: 'live', endedAt: null });
    });

    it('refuses wrong, missing and rotated keys, unknown and ended streams, and garbage names', async () => {
      const s = await fresh();
      const other = await fresh();
      const before = await metricValue(t.http, rejected('nginx-rtmp'));
      const refused = [
        nginxBody('publish', s.id, `key=${other.key}`),
        nginxBody('publish', s.id, `key=${s.key.slice(0, -1)}`),
        nginxBody('publish', s.id, ''),
        nginxBody('publish', s.id, 'key='),
        nginxBody('publish', randomUUID(), `key=${s.key}`),
        nginxBody('publish', 'not-a-uuid', `key=${s.key}`),
        nginxBody('publish', 'x'.repeat(5000), `key=${s.key}`),
        nginxBody('publish', encodeURIComponent(`${s.id}' OR '1'='1`), `key=${s.key}`),
        nginxBody('publish', encodeURIComponent("'; DROP TABLE streams; --"), `key=${s.key}`),
        nginxBody('publish', '', `key=${s.key}`),
      ];
      for (const body of refused) {
        const r = await nginxHook(t.http, body);
        expect({ body: body.slice(0, 300), status: r.status }).toEqual({
          body: body.slice(0, 300),
          status: 403,
        });
      }
      expect(await metricValue(t.http, rejected('nginx-rtmp'))).toBe(before + refused.length);
      expect((await getStream(t.http, s.id)).status).toBe('idle');

      const rotated = await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, owner.token);
      expect((await publish(s.id, s.key)).status).toBe(403);
      expect((await t.http.delete(`/api/v1/streams/${other.id}`, owner.token)).status).toBe(204);
      expect((await publish(other.id, other.key)).status).toBe(403);
      expect(await getStream(t.http, s.id)).toMatchObject({ status: 'idle' });
      expect(await getStream(t.http, other.id)).toMatchObject({ status: 'ended' });
      expect((await publish(s.id, rotated.body.streamKey)).status).toBe(200);
    });

    it('answers 400 (a refusal for nginx) when the client smuggles a repeated field or the call is unknown', async () => {
      const s = await fresh();
      for (const body of [
        nginxBody('publish', s.id, `key=${s.key}&key=other`),
        nginxBody('publish', s.id, `key=${s.key}&name=${randomUUID()}`),
        nginxBody('publish', s.id, `key=${s.key}&clientid=1`),
        nginxBody('publish', s.id, `key=${s.key}&call=publish_done`),
        `name=${s.id}&key=${s.key}`,
        `call=explode&name=${s.id}&key=${s.key}`,
      ]) {
        const r = await nginxHook(t.http, body);
        expect({ body, status: r.status, code: r.body?.code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      expect((await getStream(t.http, s.id)).status).toBe('idle');
      const json = await t.http.request(
        'POST',
        `/api/v1/hooks/nginx-rtmp?secret=${encodeURIComponent(t.env.HOOK_SECRET)}`,
        { body: ['a'] },
      );
      expect(json.status).toBe(400);
    });

    it('treats done and update calls as harmless notifications', async () => {
      const s = await fresh();
      expect((await publish(s.id, s.key)).status).toBe(200);
      expect((await nginxHook(t.http, nginxBody('done', s.id, `key=${s.key}`))).status).toBe(200);
      expect((await nginxHook(t.http, nginxBody('update', s.id, `key=${s.key}`))).status).toBe(200);
      expect((await getStream(t.http, s.id)).status).toBe('live');
    });

    it('allows play only with a valid session for a live stream, and counts each session once', async () => {
      const s = await fresh();
      const a = await session(s.id);
      expect((await play(s.id, a.query)).status).toBe(403); // not live yet
      expect((await publish(s.id, s.key)).status).toBe(200);

      const now = Math.floor(Date.now() / 1000);
      const past = now - 5;
      const other = await fresh();
      const forged = a.sig.slice(0, -2) + (a.sig.endsWith('AA') ? 'BB' : 'AA');
      for (const [what, query] of [
        ['expired', q(a.sid, past, signPlay(s.id, a.sid, past))],
        ['forged', q(a.sid, a.exp, forged)],
        ['other stream', (await session(other.id)).query],
        ['other session', q((await session(s.id)).sid, a.exp, a.sig)],
        [
          'other secret',
          q(
            a.sid,
            a.exp,
            signPlay(s.id, a.sid, Number(a.exp), 'another-play-secret-0123456789abc'),
          ),
        ],
        ['tampered exp', q(a.sid, Number(a.exp) + 1000, a.sig)],
        ['0.1 form without session', `exp=${a.exp}&sig=${signPlayV1(s.id, Number(a.exp))}`],
        ['0.1 form with a session id', q(a.sid, a.exp, signPlayV1(s.id, Number(a.exp)))],
        ['missing', ''],
      ]) {
        const r = await play(s.id, query);
        expect({ what, status: r.status }).toEqual({ what, status: 403 });
      }
      expect((await getStream(t.http, s.id)).viewers).toBe(0);

      expect((await play(s.id, a.query, '20')).status).toBe(200);
      expect((await getStream(t.http, s.id)).viewers).toBe(1);
      // The same session playing again (a reconnect) is still one viewer.
      expect((await play(s.id, a.query, '21')).status).toBe(200);
      expect((await getStream(t.http, s.id)).viewers).toBe(1);
      const b = await session(s.id);
      expect((await play(s.id, b.query, '22')).status).toBe(200);
      expect((await getStream(t.http, s.id)).viewers).toBe(2);
      expect(await metricValue(t.http, 'stream_viewers')).toBeGreaterThanOrEqual(2);

      // play_done of a forged session changes nothing; a genuine one closes its session at once.
      expect((await playDone(s.id, q(a.sid, a.exp, forged))).status).toBe(200);
      expect((await getStream(t.http, s.id)).viewers).toBe(2);
      for (const expected of [1, 1]) {
        expect((await playDone(s.id, a.query)).status).toBe(200);
        expect((await getStream(t.http, s.id)).viewers).toBe(expected);
      }
      expect((await playDone(s.id, b.query)).status).toBe(200);
      expect((await getStream(t.http, s.id)).viewers).toBe(0);

      // A viewer whose URL expired while watching still leaves.
      // Two seconds ahead: its play must still be in time on a busy machine, then it must lapse.
      const stale = Math.floor(Date.now() / 1000) + 2;
      const staleSid = (await session(s.id)).sid;
      const staleQuery = q(staleSid, stale, signPlay(s.id, staleSid, stale));
      expect((await play(s.id, staleQuery)).status).toBe(200);
      expect((await getStream(t.http, s.id)).viewers).toBe(1);
      await until(() => Date.now() / 1000 > stale + 1, { timeoutMs: 5000 });
      expect((await playDone(s.id, staleQuery)).status).toBe(200);
      expect((await getStream(t.http, s.id)).viewers).toBe(0);

      // Viewers read 0 once the stream is offline, and nobody may play it.
      await play(s.id, a.query, '30');
      await play(s.id, b.query, '31');
      expect((await getStream(t.http, s.id)).viewers).toBe(2);
      expect((await publishDone(s.id, s.key)).status).toBe(200);
      expect(await getStream(t.http, s.id)).toMatchObject({ status: 'idle', viewers: 0 });
      expect((await playDone(s.id, a.query)).status).toBe(200);
      expect((await getStream(t.http, s.id)).viewers).toBe(0);
      expect((await play(s.id, a.query)).status).toBe(403);
    });

    it('answers update_play 2xx while the session is valid (refreshing it) and 403 once the stream is not live', async () => {
      const s = await fresh();
      expect((await publish(s.id, s.key)).status).toBe(200);
      const a = await session(s.id);
      const update = (query: string) =>
        nginxHook(t.http, nginxBody('update_play', s.id, query, '50'));
      // An update for a session nginx let through is counted too (e.g. after an OnAir restart).
      expect((await update(a.query)).status).toBe(200);
      expect((await getStream(t.http, s.id)).viewers).toBe(1);
      const forged = a.sig.slice(0, -1) + (a.sig.endsWith('A') ? 'B' : 'A');
      expect((await update(q(a.sid, a.exp, forged))).status).toBe(403);
      expect((await update(`exp=${a.exp}&sig=${signPlayV1(s.id, Number(a.exp))}`)).status).toBe(
        403,
      );
      const past = Math.floor(Date.now() / 1000) - 1;
      expect((await update(q(a.sid, past, signPlay(s.id, a.sid, past)))).status).toBe(403);
      expect((await getStream(t.http, s.id)).viewers).toBe(1);

      expect((await publishDone(s.id, s.key)).status).toBe(200);
      expect((await update(a.query)).status).toBe(403);
      expect((await t.http.delete(`/api/v1/streams/${s.id}`, owner.token)).status).toBe(204);
      expect((await update(a.query)).status).toBe(403);
    });
  });

  describe('secret', () => {
    it('answers 403 for a wrong, missing or repeated secret on every dialect, and changes nothing', async () => {
      const s = await fresh();
      const secret = t.env.HOOK_SECRET;
      const before = await metricValue(t.http, accepted('nginx-rtmp'));
      for (const bad of [
        null,
        '',
        'wrong',
        secret.slice(0, -1),
        secret + 'x',
        secret.toUpperCase(),
      ]) {
        const n = await nginxHook(t.http, nginxBody('publish', s.id, `key=${s.key}`), bad);
        const r = await srsHook(t.http, srsBody('on_publish', s.id, `?key=${s.key}`), bad);
        const m = await mediamtxHook(t.http, mediamtxBody('publish', s.id, `key=${s.key}`), bad);
        expect({ bad, n: n.status, r: r.status, m: m.status, code: n.body.code }).toEqual({
          bad,
          n: 403,
          r: 403,
          m: 403,
          code: 'FORBIDDEN',
        });
      }
      const repeated = await t.http.request(
        'POST',
        `/api/v1/hooks/nginx-rtmp?secret=${secret}&secret=${secret}`,
        {
          raw: nginxBody('publish', s.id, `key=${s.key}`),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
      );
      expect(repeated.status).toBe(403);
      const inBody = await nginxHook(
        t.http,
        nginxBody('publish', s.id, `key=${s.key}&secret=${secret}`),
        null,
      );
      expect(inBody.status).toBe(403);
      expect(await getStream(t.http, s.id)).toMatchObject({ status: 'idle', startedAt: null });
      expect(await metricValue(t.http, accepted('nginx-rtmp'))).toBe(before);
    });
  });

  describe('SRS', () => {
    it('answers {"code":0} / {"code":403} with HTTP 200 and runs the same rules', async () => {
      const s = await fresh();
      const before = await metricValue(t.http, accepted('srs'));
      const bad = await srsHook(t.http, srsBody('on_publish', s.id, '?key=wrong'));
      expect(bad.status).toBe(200);
      expect(bad.body).toEqual({ code: 403 });

      const ok = await srsHook(
        t.http,
        srsBody('on_publish', s.id, `?key=${s.key}&vhost=x`, '341w361a'),
      );
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ code: 0 });
      expect(await getStream(t.http, s.id)).toMatchObject({ status: 'live' });
      expect(await metricValue(t.http, accepted('srs'))).toBe(before + 1);
      expect(
        (await srsHook(t.http, srsBody('on_publish', s.id, `?key=${s.key}`, 'second'))).body,
      ).toEqual({ code: 403 });

      const { sid, exp, sig } = await session(s.id);
      expect(
        (await srsHook(t.http, srsBody('on_play', s.id, `?${q(sid, exp, sig)}`, 'p1'))).body,
      ).toEqual({ code: 0 });
      expect(
        (
          await srsHook(
            t.http,
            srsBody('on_play', s.id, `?${q(sid, exp, `forged${sig.slice(6)}`)}`, 'p2'),
          )
        ).body,
      ).toEqual({ code: 403 });
      expect(
        (
          await srsHook(
            t.http,
            srsBody('on_play', s.id, `?exp=${exp}&sig=${signPlayV1(s.id, Number(exp))}`, 'p3'),
          )
        ).body,
      ).toEqual({ code: 403 });
      expect((await getStream(t.http, s.id)).viewers).toBe(1);
      expect(
        (await srsHook(t.http, srsBody('on_stop', s.id, `?${q(sid, exp, sig)}`, 'p1'))).body,
      ).toEqual({ code: 0 });
      expect((await getStream(t.http, s.id)).viewers).toBe(0);

      expect(
        (await srsHook(t.http, srsBody('on_unpublish', s.id, `?key=${s.key}`, 'second'))).body,
      ).toEqual({ code: 0 });
      expect((await getStream(t.http, s.id)).status).toBe('live');
      expect(
        (await srsHook(t.http, srsBody('on_unpublish', s.id, `?key=${s.key}`, '341w361a'))).body,
      ).toEqual({ code: 0 });
      expect((await getStream(t.http, s.id)).status).toBe('idle');
      expect(
        (await srsHook(t.http, srsBody('on_unpublish', s.id, `?key=${s.key}`, '341w361a'))).body,
      ).toEqual({ code: 0 });
    });

    it('accepts the numeric client_id of older SRS and refuses malformed bodies with 400', async () => {
      const s = await fresh();
      expect(
        (await srsHook(t.http, srsBody('on_publish', s.id, `?key=${s.key}`, 1985))).body,
      ).toEqual({ code: 0 });
      expect((await srsHook(t.http, srsBody('on_unpublish', s.id, '', 1985))).body).toEqual({
        code: 0,
      });
      expect((await getStream(t.http, s.id)).status).toBe('idle');
      for (const body of [
        { ...srsBody('on_publish', s.id, `?key=${s.key}`), action: 'on_explode' },
        { stream: s.id },
        [1, 2],
        { ...srsBody('on_publish', s.id, `?key=${s.key}`), stream: 42 },
        srsBody('on_publish', s.id, `?key=${s.key}&key=${s.key}`),
      ]) {
        const r = await srsHook(t.http, body);
        expect({ body, status: r.status }).toEqual({ body, status: 400 });
      }
      const notJson = await t.http.request(
        'POST',
        `/api/v1/hooks/srs?secret=${t.env.HOOK_SECRET}`,
        { raw: '{"action":', headers: { 'content-type': 'application/json' } },
      );
      expect(notJson.status).toBe(400);
      expect((await getStream(t.http, s.id)).status).toBe('idle');
    });
  });

  describe('MediaMTX', () => {
    it('answers 200 / 401, allows only publish and read, and counts a read session once', async () => {
      const s = await fresh();
      expect((await mediamtxHook(t.http, mediamtxBody('publish', s.id, 'key=wrong'))).status).toBe(
        401,
      );
      const ok = await mediamtxHook(t.http, mediamtxBody('publish', s.id, `key=${s.key}`));
      expect(ok.status).toBe(200);
      expect(await getStream(t.http, s.id)).toMatchObject({ status: 'live' });
      expect(
        (await mediamtxHook(t.http, mediamtxBody('publish', s.id, `key=${s.key}`, randomUUID())))
          .status,
      ).toBe(401);

      const { sid, exp, sig, query } = await session(s.id);
      expect((await mediamtxHook(t.http, mediamtxBody('read', s.id, query, null))).status).toBe(
        200,
      );
      expect(
        (await mediamtxHook(t.http, mediamtxBody('read', `/${s.id}`, query, null))).status,
      ).toBe(200);
      expect(
        (
          await mediamtxHook(
            t.http,
            mediamtxBody('read', s.id, `exp=${exp}&sig=${signPlayV1(s.id, Number(exp))}`),
          )
        ).status,
      ).toBe(401);
      expect(
        (
          await mediamtxHook(
            t.http,
            mediamtxBody('read', s.id, q(sid, exp, `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`)),
          )
        ).status,
      ).toBe(401);
      // Two reads of one session: one viewer (for PLAY_SESSION_TTL_SEC; MediaMTX says nothing on leave).
      expect((await getStream(t.http, s.id)).viewers).toBe(1);
      for (const action of ['playback', 'api', 'metrics', 'pprof', 'something-new']) {
        const r = await mediamtxHook(t.http, mediamtxBody(action, s.id, `key=${s.key}&${query}`));
        expect({ action, status: r.status }).toEqual({ action, status: 401 });
      }
      expect((await mediamtxHook(t.http, { path: s.id })).status).toBe(400);
    });
  });

  describe('metrics', () => {
    it('reports live_streams and stream_viewers (sessions summed over live streams)', async () => {
      const s = await fresh();
      expect((await publish(s.id, s.key)).status).toBe(200);
      const started = await metricValue(t.http, 'playback_sessions_started_total{protocol="rtmp"}');
      for (const clientid of ['41', '42', '43'])
        await play(s.id, (await session(s.id)).query, clientid);
      expect(await metricValue(t.http, 'playback_sessions_started_total{protocol="rtmp"}')).toBe(
        started + 3,
      );
      const live: any[] = [];
      let cursor: string | null = null;
      do {
        const r: any = await t.http.get(
          `/api/v1/streams?status=live&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        );
        live.push(...r.body.items);
        cursor = r.body.nextCursor;
      } while (cursor);
      expect(await metricValue(t.http, 'live_streams')).toBe(live.length);
      expect(await metricValue(t.http, 'stream_viewers')).toBe(
        live.reduce((n, x) => n + x.viewers, 0),
      );
      expect(live.find((x) => x.id === s.id)?.viewers).toBe(3);
      expect((await publishDone(s.id, s.key)).status).toBe(200);
      expect(await metricValue(t.http, 'live_streams')).toBe(live.length - 1);
      expect(await metricValue(t.http, 'stream_viewers')).toBe(
        live.reduce((n, x) => n + x.viewers, 0) - 3,
      );
    });
  });

  it('never writes keys, signatures or the hook secret to the logs', async () => {
    const s = await fresh();
    await publish(s.id, s.key);
    const { sig, query } = await session(s.id);
    await play(s.id, query);
    await publish(s.id, 'wrong-key-value-123');
    const logs = t.logs().join('\n');
    expect(logs).toContain('Publish accepted');
    expect(logs).toContain('Publish refused');
    expect(logs).not.toContain(s.key);
    expect(logs).not.toContain(sig);
    expect(logs).not.toContain(t.env.HOOK_SECRET);
    expect(logs).not.toContain('wrong-key-value-123');
  });
});

describe.each(modes)('hooks fail closed when the database cannot answer (%s)', (mode) => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('refuses a publish within the hook timeout [timing]', async () => {
    t = await startApp(mode, { HOOK_PUBLISH_TIMEOUT_MS: '500', LOG_LEVEL: 'info' });
    const u = await t.http.user('fc');
    const s = await createStream(t.http, u.token);
    let locker: Client | undefined;
    if (mode === 'embedded') {
      // The connection is gone: every query fails at once.
      await t.app.get(DataSource).destroy();
    } else {
      // The table is locked by another session: every query on it hangs.
      locker = new Client({ connectionString: t.env.DATABASE_URL });
      locker.on('error', () => undefined);
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE streams IN ACCESS EXCLUSIVE MODE');
    }
    const release = async () => {
      if (!locker) return;
      const c = locker;
      locker = undefined;
      await c.query('ROLLBACK');
      await c.end();
    };
    try {
      const started = Date.now();
      const r = await nginxHook(t.http, nginxBody('publish', s.id, `key=${s.key}`));
      const ms = Date.now() - started;
      expect(r.status).toBe(403);
      expect(ms).toBeLessThan(2000);
      const srs = await srsHook(t.http, srsBody('on_publish', s.id, `?key=${s.key}`));
      expect(srs.body).toEqual({ code: 403 });
      // The owner's preview session is valid; only the stream state cannot be read.
      const preview = new URL(s.body.playback.hls as string).search.slice(1);
      expect((await nginxHook(t.http, nginxBody('play', s.id, preview))).status).toBe(403);
      expect(t.logs().some((l) => l.includes('failed closed'))).toBe(true);
    } finally {
      await release();
    }
  });
});

describeWithServices('hooks after the database answers again (clustered)', () => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('leaves a publish refused during a lock idle, and accepts the next one', async () => {
    t = await startApp('clustered', { HOOK_PUBLISH_TIMEOUT_MS: '500' });
    const u = await t.http.user('fc2');
    const s = await createStream(t.http, u.token);
    const locker = new Client({ connectionString: t.env.DATABASE_URL });
    locker.on('error', () => undefined);
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE streams IN ACCESS EXCLUSIVE MODE');
      expect((await nginxHook(t.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(
        403,
      );
      await locker.query('ROLLBACK');
    } finally {
      await locker.end();
    }
    await until(async () => (await t.http.get(`/api/v1/streams/${s.id}`)).status === 200, {
      timeoutMs: 5000,
    });
    expect((await getStream(t.http, s.id)).status).toBe('idle');
    expect((await nginxHook(t.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(200);
  });
});

describe('hooks and the HTTP throttle (embedded)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('embedded', { THROTTLE_LIMIT: '15', THROTTLE_TTL_SEC: '60' });
  });
  afterAll(async () => t?.close());

  it('never throttles hook calls, while the REST API is throttled', async () => {
    const id = randomUUID();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push((await nginxHook(t.http, nginxBody('publish', id, 'key=k'))).status);
    expect(new Set(statuses)).toEqual(new Set([403]));
    const rest: number[] = [];
    for (let i = 0; i < 20; i++) rest.push((await t.http.get(`/api/v1/streams/${id}`)).status);
    expect(rest).toContain(429);
  });
});
