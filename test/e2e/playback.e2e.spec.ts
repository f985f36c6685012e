import { randomUUID } from 'node:crypto';
import { startApp, TestApp } from '../helpers/app';
import { Mode } from '../helpers/modes';
import { hasServices } from '../helpers/services';
import {
  createStream,
  getStream,
  hlsCheck,
  metricValue,
  nginxBody,
  nginxHook,
  playSession,
  sessionArgs,
  signPlay,
  signPlayV1,
} from '../media/hook-client';

const modes: Mode[] = hasServices() ? ['embedded', 'clustered'] : ['embedded'];
if (!hasServices())
  process.stderr.write('!!! SKIPPED clustered playback e2e: needs PostgreSQL and Redis\n');

const CHECKS_ALLOWED = 'playback_checks_total{result="allowed"}';
const CHECKS_DENIED = 'playback_checks_total{result="denied"}';
const HLS_STARTED = 'playback_sessions_started_total{protocol="hls"}';
const HLS_TIMED = 'hook_duration_seconds_count{server="hls",action="check"}';

describe.each(modes)('playback sessions and the HLS check (%s)', (mode) => {
  let t: TestApp;
  let owner: { token: string; id: string };
  let viewer: { token: string; id: string };
  let admin: string;

  beforeAll(async () => {
    t = await startApp(mode, {
      MAX_STREAMS_PER_USER: '1000',
      THROTTLE_LIMIT: '100000',
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'root-password-1',
      RTMP_PLAY_URL: 'rtmp://play.example.test/live',
      FLV_BASE_URL: 'http://flv.example.test/live',
    });
    owner = await t.http.user('owner');
    viewer = await t.http.user('viewer');
    admin = (
      await t.http.post('/api/v1/auth/login', { username: 'root', password: 'root-password-1' })
    ).body.accessToken;
  });
  afterAll(async () => t?.close());

  const fresh = (extra: Record<string, unknown> = {}) =>
    createStream(t.http, owner.token, 'Playback test', extra);
  const goLive = async (id: string, key: string) =>
    expect((await nginxHook(t.http, nginxBody('publish', id, `key=${key}`))).status).toBe(200);
  const goIdle = async (id: string, key: string) =>
    expect((await nginxHook(t.http, nginxBody('publish_done', id, `key=${key}`))).status).toBe(200);
  const newSession = (id: string, token?: string) =>
    t.http.request('POST', `/api/v1/streams/${id}/playback`, { token });
  const hls = (id: string, query: string, suffix = '.m3u8') =>
    hlsCheck(t.http, `/hls/${id}${suffix}?${query}`);

  describe('POST /streams/:id/playback', () => {
    it('gives each player its own signed session with URLs from the configured bases', async () => {
      const s = await fresh();
      const r = await newSession(s.id);
      expect(r.status).toBe(201);
      expect(r.headers.get('cache-control')).toBe('no-store');
      const { sessionId, expiresAt, hls: hlsUrl, flv, rtmp } = r.body;
      expect(Object.keys(r.body).sort()).toEqual(['expiresAt', 'flv', 'hls', 'rtmp', 'sessionId']);
      expect(sessionId).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      const { exp, sig, query } = sessionArgs(hlsUrl);
      expect(query).toBe(`sid=${sessionId}&exp=${exp}&sig=${sig}`);
      expect(expiresAt).toBe(new Date(Number(exp) * 1000).toISOString());
      expect(Number(exp) - Date.now() / 1000).toBeGreaterThan(3500);
      expect(sig).toBe(signPlay(s.id, sessionId, Number(exp)));
      expect(hlsUrl).toBe(`http://localhost:8080/hls/${s.id}.m3u8?${query}`);
      expect(flv).toBe(`http://flv.example.test/live/${s.id}.flv?${query}`);
      expect(rtmp).toBe(`rtmp://play.example.test/live/${s.id}?${query}`);

      const again = await newSession(s.id);
      expect(again.body.sessionId).not.toBe(sessionId);
      // Asking for a session is not watching: nobody is counted yet.
      expect((await getStream(t.http, s.id)).viewers).toBe(0);
    });

    it('lets anyone play a public stream, only signed-in users a members stream (owner and admin always)', async () => {
      const pub = await fresh();
      expect((await newSession(pub.id)).status).toBe(201);
      const members = await fresh({ access: 'members' });
      expect(members.body.access).toBe('members');
      const anon = await newSession(members.id);
      expect(anon.status).toBe(401);
      expect(anon.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
      expect((await newSession(members.id, 'not.a.token')).status).toBe(401);
      expect((await newSession(members.id, viewer.token)).status).toBe(201);
      expect((await newSession(members.id, owner.token)).status).toBe(201);
      expect((await newSession(members.id, admin)).status).toBe(201);

      // PATCH switches it both ways; the public view shows it.
      const patched = await t.http.patch(
        `/api/v1/streams/${pub.id}`,
        { access: 'members' },
        owner.token,
      );
      expect(patched.status).toBe(200);
      expect(patched.body.access).toBe('members');
      expect((await getStream(t.http, pub.id)).access).toBe('members');
      expect((await newSession(pub.id)).status).toBe(401);
      expect(
        (await t.http.patch(`/api/v1/streams/${pub.id}`, { access: 'public' }, admin)).body.access,
      ).toBe('public');
      expect((await newSession(pub.id)).status).toBe(201);
      expect(
        (await t.http.patch(`/api/v1/streams/${pub.id}`, { access: 'members' }, viewer.token))
          .status,
      ).toBe(403);
    });

    it('validates access on create and PATCH', async () => {
      for (const access of ['private', '', null, 1, ['public']]) {
        const r = await t.http.post('/api/v1/streams', { title: 'x', access }, owner.token);
        expect({ access, status: r.status, code: r.body.code }).toEqual({
          access,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      const s = await fresh();
      for (const access of ['everyone', null]) {
        const r = await t.http.patch(`/api/v1/streams/${s.id}`, { access }, owner.token);
        expect({ access, status: r.status }).toEqual({ access, status: 400 });
      }
      expect((await getStream(t.http, s.id)).access).toBe('public');
    });

    it('answers 404 for an unknown stream, 400 for a bad id and 409 for an ended one', async () => {
      expect((await newSession(randomUUID())).status).toBe(404);
      const bad = await newSession('not-a-uuid');
      expect(bad.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      const s = await fresh();
      expect((await t.http.delete(`/api/v1/streams/${s.id}`, owner.token)).status).toBe(204);
      const ended = await newSession(s.id);
      expect(ended.status).toBe(409);
      expect(ended.body).toMatchObject({ statusCode: 409, code: 'CONFLICT' });
    });

    it('keeps signed URLs out of the public view, lists and room views', async () => {
      const s = await fresh();
      const view = await t.http.get(`/api/v1/streams/${s.id}`);
      expect(view.body.playback).toBeUndefined();
      expect(view.text).not.toMatch(/sig=|sid=/);
      const list = await t.http.get(`/api/v1/streams?ownerId=${owner.id}`);
      expect(list.text).not.toMatch(/sig=|sid=/);
      // Rotation gives the owner a fresh preview session.
      const rotated = await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, owner.token);
      expect(rotated.body.playback.sessionId).not.toBe(s.body.playback.sessionId);
      expect(sessionArgs(rotated.body.playback.hls).sig).toBe(
        signPlay(
          s.id,
          rotated.body.playback.sessionId,
          Number(sessionArgs(rotated.body.playback.hls).exp),
        ),
      );
    });
  });

  describe('GET /hooks/hls (nginx auth_request)', () => {
    it('allows a valid session of a live stream (playlist and segments, any prefix and layout), counting it once', async () => {
      const s = await fresh();
      const a = await playSession(t.http, s.id);
      const before = {
        allowed: await metricValue(t.http, CHECKS_ALLOWED),
        denied: await metricValue(t.http, CHECKS_DENIED),
        started: await metricValue(t.http, HLS_STARTED),
        timed: await metricValue(t.http, HLS_TIMED),
      };
      expect((await hls(s.id, a.query)).status).toBe(403); // idle
      await goLive(s.id, s.key);
      for (const uri of [
        `/hls/${s.id}.m3u8?${a.query}`,
        `/hls/${s.id}-12.ts?${a.query}`,
        `/hls/${s.id}/index.m3u8?${a.query}`,
        `/hls/${s.id}/3.ts?${a.query}`,
        `/media/live/hls/${s.id.toUpperCase()}-0.ts?${a.query}&_HLS_msn=4`,
      ]) {
        const r = await hlsCheck(t.http, uri);
        expect({ uri, status: r.status, body: r.text }).toEqual({ uri, status: 204, body: '' });
      }
      expect((await getStream(t.http, s.id)).viewers).toBe(1);
      const b = await playSession(t.http, s.id);
      expect((await hls(s.id, b.query, '-13.ts')).status).toBe(204);
      expect((await getStream(t.http, s.id)).viewers).toBe(2);
      expect(await metricValue(t.http, CHECKS_ALLOWED)).toBe(before.allowed + 6);
      expect(await metricValue(t.http, CHECKS_DENIED)).toBe(before.denied + 1);
      expect(await metricValue(t.http, HLS_STARTED)).toBe(before.started + 2);
      expect(await metricValue(t.http, HLS_TIMED)).toBe(before.timed + 7);
    });

    it('refuses forged, expired, foreign, 0.1-form, repeated and malformed requests with 403 (never 500)', async () => {
      const s = await fresh();
      const other = await fresh();
      await goLive(s.id, s.key);
      await goLive(other.id, other.key);
      const a = await playSession(t.http, s.id);
      const foreign = await playSession(t.http, other.id);
      const forged = a.sig.slice(0, -1) + (a.sig.endsWith('A') ? 'B' : 'A');
      const past = Math.floor(Date.now() / 1000) - 1;
      const denied = await metricValue(t.http, CHECKS_DENIED);
      const cases: [string, string][] = [
        ['no query', `/hls/${s.id}.m3u8`],
        ['forged', `/hls/${s.id}.m3u8?sid=${a.sid}&exp=${a.exp}&sig=${forged}`],
        [
          'expired',
          `/hls/${s.id}.m3u8?sid=${a.sid}&exp=${past}&sig=${signPlay(s.id, a.sid, past)}`,
        ],
        ['other stream session', `/hls/${s.id}.m3u8?${foreign.query}`],
        ['session moved to other stream', `/hls/${other.id}-1.ts?${a.query}`],
        ['0.1 form', `/hls/${s.id}.m3u8?exp=${a.exp}&sig=${signPlayV1(s.id, Number(a.exp))}`],
        ['repeated sid', `/hls/${s.id}.m3u8?${a.query}&sid=${foreign.sid}`],
        ['escaped path', `/hls/%2e%2e/${s.id}.m3u8?${a.query}`],
        ['dot segment', `/hls/${other.id}.m3u8/../${s.id}.m3u8?${a.query}`],
        ['not a stream file', `/hls/${s.id}.mp4?${a.query}`],
        ['not a uuid', `/hls/not-a-stream.m3u8?${a.query}`],
        ['garbage', 'x'],
        ['huge', `/hls/${s.id}.m3u8?${a.query}&pad=${'a'.repeat(5000)}`],
      ];
      for (const [what, uri] of cases) {
        const r = await hlsCheck(t.http, uri);
        expect({ what, status: r.status, code: r.body?.code }).toEqual({
          what,
          status: 403,
          code: 'FORBIDDEN',
        });
      }
      expect(await metricValue(t.http, CHECKS_DENIED)).toBe(denied + cases.length);
      expect((await getStream(t.http, s.id)).viewers).toBe(0);

      const missing = await hlsCheck(t.http, null);
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        requestId: expect.any(String),
      });
      for (const secret of [null, 'wrong-secret', `${t.env.HOOK_SECRET}x`]) {
        const r = await hlsCheck(t.http, `/hls/${s.id}.m3u8?${a.query}`, secret);
        expect(r.status).toBe(403);
      }
      expect(await metricValue(t.http, CHECKS_DENIED)).toBe(denied + cases.length);
      expect((await getStream(t.http, s.id)).viewers).toBe(0);
    });

    it('refuses at once when the stream goes offline or ends, and the viewers read 0', async () => {
      const s = await fresh();
      await goLive(s.id, s.key);
      const a = await playSession(t.http, s.id);
      expect((await hls(s.id, a.query)).status).toBe(204);
      expect((await getStream(t.http, s.id)).viewers).toBe(1);
      await goIdle(s.id, s.key);
      expect((await hls(s.id, a.query)).status).toBe(403);
      expect((await getStream(t.http, s.id)).viewers).toBe(0);
      await goLive(s.id, s.key);
      expect((await hls(s.id, a.query)).status).toBe(204);
      expect((await t.http.delete(`/api/v1/streams/${s.id}`, owner.token)).status).toBe(204);
      expect((await hls(s.id, a.query)).status).toBe(403);
    });

    it('counts every protocol in one viewer figure: HLS, RTMP play and update_play', async () => {
      const s = await fresh();
      await goLive(s.id, s.key);
      const h = await playSession(t.http, s.id);
      const r = await playSession(t.http, s.id);
      expect((await hls(s.id, h.query)).status).toBe(204);
      expect((await nginxHook(t.http, nginxBody('play', s.id, r.query, '70'))).status).toBe(200);
      expect((await nginxHook(t.http, nginxBody('update_play', s.id, r.query, '70'))).status).toBe(
        200,
      );
      expect((await getStream(t.http, s.id)).viewers).toBe(2);
      const live = await t.http.get(`/api/v1/streams?status=live&ownerId=${owner.id}&limit=100`);
      expect(live.body.items.find((x: any) => x.id === s.id).viewers).toBe(2);
      expect((await nginxHook(t.http, nginxBody('play_done', s.id, r.query, '70'))).status).toBe(
        200,
      );
      expect((await getStream(t.http, s.id)).viewers).toBe(1);
    });
  });
});
