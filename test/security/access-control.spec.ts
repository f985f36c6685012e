import { randomUUID } from 'node:crypto';
import { modeEnv, ModeEnv } from '../helpers/modes';
import { Http } from '../helpers/http';
import {
  ADMIN,
  adminToken,
  connectChat,
  emitAck,
  RouteEntry,
  securityMode,
  startWithEnv,
  uploadVideo,
} from './support';

/**
 * OWASP API1 (BOLA) and API5 (BFLA), driven by the real route table: every route must have an
 * access policy below, and every owner-only route must have an attack case below — so a new
 * route without an owner check (or without a decision about who may call it) fails this suite.
 */
type Policy =
  | 'public' // anyone, no token
  | 'user' // any signed-in user, acting on their own data only
  | 'owner' // owner of the resource or admin
  | 'admin' // admin only
  | 'hook-secret' // media-server hooks: ?secret=HOOK_SECRET
  | 'alert-token' // Alertmanager: Bearer ALERT_WEBHOOK_TOKEN
  | 'metrics-token' // Prometheus: Bearer METRICS_TOKEN
  | 'framework'; // served by Fastify plugins (CORS preflight, Swagger UI assets)

const POLICY: Record<string, Policy> = {
  'POST /api/v1/auth/register': 'public',
  'POST /api/v1/auth/login': 'public',
  'GET /api/v1/auth/me': 'user',

  'POST /api/v1/users/:id/disable': 'admin',
  'POST /api/v1/users/:id/enable': 'admin',
  'DELETE /api/v1/users/:id': 'admin',

  'POST /api/v1/streams': 'user',
  'GET /api/v1/streams': 'public',
  'GET /api/v1/streams/:id': 'public',
  'PATCH /api/v1/streams/:id': 'owner',
  'DELETE /api/v1/streams/:id': 'owner',
  'POST /api/v1/streams/:id/key': 'owner',
  // Public streams: anyone; members streams: signed-in users (test/e2e/playback.e2e.spec.ts).
  'POST /api/v1/streams/:id/playback': 'public',
  'GET /api/v1/streams/:id/recordings': 'public',

  'POST /api/v1/hooks/nginx-rtmp': 'hook-secret',
  'POST /api/v1/hooks/srs': 'hook-secret',
  'POST /api/v1/hooks/mediamtx': 'hook-secret',
  'GET /api/v1/hooks/hls': 'hook-secret',

  'POST /api/v1/rooms': 'user',
  'GET /api/v1/rooms': 'public',
  'GET /api/v1/rooms/:id': 'public',
  'PATCH /api/v1/rooms/:id': 'owner',
  'DELETE /api/v1/rooms/:id': 'owner',
  'POST /api/v1/rooms/:id/bans': 'owner',
  'DELETE /api/v1/rooms/:id/bans/:userId': 'owner',
  'POST /api/v1/rooms/:id/heartbeat': 'public',
  'GET /api/v1/rooms/:id/presence': 'public',
  'GET /api/v1/rooms/:id/messages': 'public',

  'POST /api/v1/videos': 'user',
  'GET /api/v1/videos': 'public',
  'GET /api/v1/videos/:id': 'public',
  'GET /api/v1/videos/:id/content': 'public',
  'HEAD /api/v1/videos/:id/content': 'public',
  'DELETE /api/v1/videos/:id': 'owner',
  'PUT /api/v1/videos/:id/progress': 'user',
  'GET /api/v1/videos/:id/progress': 'user',

  'POST /api/v1/alerts/alertmanager': 'alert-token',

  'POST /api/v1/webhooks': 'user',
  'GET /api/v1/webhooks': 'user',
  'DELETE /api/v1/webhooks/:id': 'owner',
  'GET /api/v1/webhooks/:id/deliveries': 'owner',

  'GET /metrics': 'metrics-token',
  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',

  // The pages (WEB_UI) and their assets: public shells; what they show comes from the API above.
  'GET /': 'public',
  'GET /watch/:streamId': 'public',
  'GET /studio': 'public',
  'GET /embed/chat/:roomId': 'public',
  'GET /assets/:file': 'public',
  // /docs, /docs-json, /docs-yaml: Swagger registers them while the app is built, before the
  // route table is recorded; they are public by design (the API description, no data).
};

/** Swagger UI static assets and the CORS preflight catch-all are plugin routes, not API. */
const isFramework = (r: RouteEntry) =>
  r.method === 'OPTIONS' || r.url.startsWith('/docs/') || r.url === '/docs/*';

const routeKey = (r: RouteEntry) => `${r.method} ${r.url}`;

/** Fastify adds a HEAD for every GET; it shares the GET's policy. */
function policyOf(r: RouteEntry): Policy | undefined {
  if (isFramework(r)) return 'framework';
  return POLICY[routeKey(r)] ?? (r.method === 'HEAD' ? POLICY[`GET ${r.url}`] : undefined);
}

interface Actors {
  owner: { token: string; id: string };
  attacker: { token: string; id: string };
  /** A third user the moderation cases act on. */
  bystander: { token: string; id: string };
  admin: string;
  http: Http;
  base: string;
}

interface Ctx {
  streamId: string;
  roomId: string;
  videoId: string;
  bannedUserId: string;
  webhookId: string;
}

/** How to attack each owner-only route (in an order the owner could also run them: deletes last). */
const OWNER_CASES: Record<
  string,
  (ctx: Ctx, a: Actors) => { method: string; path: string; body?: unknown }
> = {
  'PATCH /api/v1/streams/:id': (c) => ({
    method: 'PATCH',
    path: `/api/v1/streams/${c.streamId}`,
    body: { title: 'pwned' },
  }),
  'POST /api/v1/streams/:id/key': (c) => ({
    method: 'POST',
    path: `/api/v1/streams/${c.streamId}/key`,
  }),
  'PATCH /api/v1/rooms/:id': (c) => ({
    method: 'PATCH',
    path: `/api/v1/rooms/${c.roomId}`,
    body: { name: 'pwned' },
  }),
  'POST /api/v1/rooms/:id/bans': (c, a) => ({
    method: 'POST',
    path: `/api/v1/rooms/${c.roomId}/bans`,
    body: { userId: a.bystander.id },
  }),
  'DELETE /api/v1/rooms/:id/bans/:userId': (c) => ({
    method: 'DELETE',
    path: `/api/v1/rooms/${c.roomId}/bans/${c.bannedUserId}`,
  }),
  'GET /api/v1/webhooks/:id/deliveries': (c) => ({
    method: 'GET',
    path: `/api/v1/webhooks/${c.webhookId}/deliveries`,
  }),
  'DELETE /api/v1/webhooks/:id': (c) => ({
    method: 'DELETE',
    path: `/api/v1/webhooks/${c.webhookId}`,
  }),
  'DELETE /api/v1/streams/:id': (c) => ({
    method: 'DELETE',
    path: `/api/v1/streams/${c.streamId}`,
  }),
  'DELETE /api/v1/videos/:id': (c) => ({ method: 'DELETE', path: `/api/v1/videos/${c.videoId}` }),
  'DELETE /api/v1/rooms/:id': (c) => ({ method: 'DELETE', path: `/api/v1/rooms/${c.roomId}` }),
};

/** Fill path params with ids of things that exist (or random UUIDs). */
const fill = (url: string, c?: Ctx) =>
  url
    .replace(/^\/api\/v1\/streams\/:id/, `/api/v1/streams/${c?.streamId ?? randomUUID()}`)
    .replace(/^\/api\/v1\/rooms\/:id/, `/api/v1/rooms/${c?.roomId ?? randomUUID()}`)
    .replace(/^\/api\/v1\/videos\/:id/, `/api/v1/videos/${c?.videoId ?? randomUUID()}`)
    .replace(/^\/api\/v1\/webhooks\/:id/, `/api/v1/webhooks/${c?.webhookId ?? randomUUID()}`)
    .replace(/:[a-zA-Z]+/g, () => randomUUID());

const SECRET_FIELDS = [
  'streamKey',
  'ingest',
  'keyHash',
  'passwordHash',
  'password',
  'usernameLower',
  'secret',
  'disabledAt',
];

function findSecrets(value: unknown, where = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => findSecrets(v, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      ...(SECRET_FIELDS.includes(k) ? [`${where}.${k}`] : []),
      ...findSecrets(v, `${where}.${k}`),
    ]);
  }
  return [];
}

describe(`access control over the route table (${securityMode})`, () => {
  let m: ModeEnv;
  let app: Awaited<ReturnType<typeof startWithEnv>>;
  let a: Actors;

  beforeAll(async () => {
    m = await modeEnv(securityMode, {
      ...ADMIN,
      THROTTLE_LIMIT: '100000',
      MAX_STREAMS_PER_USER: '1000',
      METRICS_TOKEN: 'acl-metrics-token',
      ALERT_WEBHOOK_TOKEN: 'acl-alert-token',
      // Owned webhooks point at a closed local port (no stream goes live in this suite).
      WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    app = await startWithEnv(m.env);
    const owner = await app.http.user('owner');
    const attacker = await app.http.user('attacker');
    const bystander = await app.http.user('bystander');
    a = {
      owner,
      attacker,
      bystander,
      admin: await adminToken(app.http),
      http: app.http,
      base: app.url,
    };
  });
  afterAll(async () => {
    await app?.close();
    await m?.cleanup();
  });

  /** Fresh resources owned by `owner`, so every attack starts from a known state. */
  async function resources(): Promise<Ctx> {
    const room = await a.http.post('/api/v1/rooms', { name: 'owned room' }, a.owner.token);
    expect(room.status).toBe(201);
    const stream = await a.http.post(
      '/api/v1/streams',
      { title: 'owned stream', roomId: room.body.id },
      a.owner.token,
    );
    expect(stream.status).toBe(201);
    const video = await uploadVideo(a.base, a.owner.token, 'owned video');
    expect(video.status).toBe(201);
    const banned = await a.http.user('banned');
    expect(
      (
        await a.http.post(
          `/api/v1/rooms/${room.body.id}/bans`,
          { userId: banned.id },
          a.owner.token,
        )
      ).status,
    ).toBeLessThan(300);
    const webhook = await a.http.post(
      '/api/v1/webhooks',
      { url: 'http://127.0.0.1:9/hook', events: ['stream.started'] },
      a.owner.token,
    );
    expect(webhook.status).toBe(201);
    return {
      streamId: stream.body.id,
      roomId: room.body.id,
      videoId: video.body.id,
      bannedUserId: banned.id,
      webhookId: webhook.body.id,
    };
  }

  /** Everything an attacker could have changed, as the owner sees it. */
  async function snapshot(c: Ctx) {
    const [stream, room, video, webhooks] = await Promise.all([
      a.http.get(`/api/v1/streams/${c.streamId}`),
      a.http.get(`/api/v1/rooms/${c.roomId}`),
      a.http.get(`/api/v1/videos/${c.videoId}`),
      a.http.get('/api/v1/webhooks?limit=100', a.owner.token),
    ]);
    // (Bans have no read route; the ban cases are checked through their effect afterwards.)
    return {
      stream: { ...stream.body, viewers: undefined },
      room: { ...room.body, onlineCount: undefined, liveStream: undefined },
      video: video.body,
      webhook: (webhooks.body.items as { id: string }[]).find((w) => w.id === c.webhookId),
    };
  }

  it('has an access policy for every route in the route table (add yours here, with an attack case if it is owner-only)', () => {
    const unclassified = app.routes.filter((r) => policyOf(r) === undefined).map(routeKey);
    expect(unclassified).toEqual([]);
    const ownerRoutes = Object.entries(POLICY)
      .filter(([, p]) => p === 'owner')
      .map(([k]) => k);
    expect(ownerRoutes.filter((k) => !OWNER_CASES[k])).toEqual([]);
    // And the table is not stale: every policy names a route that exists.
    const existing = new Set(app.routes.map(routeKey));
    expect(Object.keys(POLICY).filter((k) => !existing.has(k))).toEqual([]);
  });

  it('refuses every non-public route without credentials (401; hooks 403) and changes nothing', async () => {
    const c = await resources();
    const before = await snapshot(c);
    const wrong: string[] = [];
    for (const r of app.routes) {
      const p = policyOf(r);
      if (!p || p === 'public' || p === 'framework') continue;
      const res = await a.http.request(r.method, fill(r.url, c), {
        body: r.method === 'GET' || r.method === 'HEAD' ? undefined : {},
      });
      const expected = p === 'hook-secret' ? 403 : 401;
      if (res.status !== expected)
        wrong.push(`${routeKey(r)} → ${res.status} (expected ${expected})`);
    }
    expect(wrong).toEqual([]);
    expect(await snapshot(c)).toEqual(before);
  });

  it("refuses every owner-only route to another user (403/404), and nothing of the owner's changes", async () => {
    const c = await resources();
    const before = await snapshot(c);
    const results: string[] = [];
    for (const [key, build] of Object.entries(OWNER_CASES)) {
      const req = build(c, a);
      const res = await a.http.request(req.method, req.path, {
        token: a.attacker.token,
        body: req.body,
      });
      const code = { 403: 'FORBIDDEN', 404: 'NOT_FOUND' }[res.status];
      if (!code || res.body?.statusCode !== res.status || res.body?.code !== code)
        results.push(`${key} → ${res.status} ${res.text.slice(0, 120)}`);
    }
    expect(results).toEqual([]);
    expect(await snapshot(c)).toEqual(before);
    // The owner's key still works (rotation was refused), the ban still holds (lifting was refused).
    expect(
      (await a.http.delete(`/api/v1/rooms/${c.roomId}/bans/${c.bannedUserId}`, a.owner.token))
        .status,
    ).toBe(204);
  });

  it('lets the owner and an admin do the same (the checks are not simply "deny all")', async () => {
    for (const actor of ['owner', 'admin'] as const) {
      const c = await resources();
      const token = actor === 'owner' ? a.owner.token : a.admin;
      const failures: string[] = [];
      for (const [key, build] of Object.entries(OWNER_CASES)) {
        const req = build(c, a);
        const res = await a.http.request(req.method, req.path, { token, body: req.body });
        if (res.status >= 300)
          failures.push(`${actor} ${key} → ${res.status} ${res.text.slice(0, 120)}`);
      }
      expect(failures).toEqual([]);
    }
  });

  it('refuses admin-only routes to users (403) and never lets a token claim a role', async () => {
    const victim = await a.http.user('adminvictim');
    for (const [key, p] of Object.entries(POLICY)) {
      if (p !== 'admin') continue;
      const [method, url] = key.split(' ');
      const res = await a.http.request(method, url.replace(':id', victim.id), {
        token: a.attacker.token,
      });
      expect({ key, status: res.status }).toEqual({ key, status: 403 });
    }
    expect((await a.http.get('/api/v1/auth/me', victim.token)).status).toBe(200);
  });

  it("keeps each user's playback progress private (another user reads 404, writes only their own)", async () => {
    const c = await resources();
    expect(
      (
        await a.http.put(
          `/api/v1/videos/${c.videoId}/progress`,
          { positionSec: 42, paused: true },
          a.owner.token,
        )
      ).status,
    ).toBe(204);
    expect(
      (await a.http.get(`/api/v1/videos/${c.videoId}/progress`, a.attacker.token)).status,
    ).toBe(404);
    expect(
      (
        await a.http.put(
          `/api/v1/videos/${c.videoId}/progress`,
          { positionSec: 1, paused: false },
          a.attacker.token,
        )
      ).status,
    ).toBe(204);
    expect(
      (await a.http.get(`/api/v1/videos/${c.videoId}/progress`, a.owner.token)).body,
    ).toMatchObject({ positionSec: 42, paused: true });
  });

  it('never shows secret fields on read routes, to anyone (stream key only on create/rotate, no hashes)', async () => {
    const c = await resources();
    const leaks: string[] = [];
    const readRoutes = app.routes.filter(
      (r) =>
        r.method === 'GET' &&
        policyOf(r) !== 'framework' &&
        policyOf(r) !== 'metrics-token' &&
        !r.url.startsWith('/docs'),
    );
    for (const token of [undefined, a.attacker.token, a.owner.token, a.admin]) {
      for (const r of readRoutes) {
        const res = await a.http.get(fill(r.url, c), token);
        if (res.headers.get('content-type')?.includes('json'))
          leaks.push(...findSecrets(res.body).map((f) => `${r.url} ${f}`));
      }
    }
    expect([...new Set(leaks)]).toEqual([]);
  });

  describe('over the socket', () => {
    it('refuses chat:delete of a message in a room the caller does not own, and the message stays', async () => {
      const c = await resources();
      const owner = await connectChat(a.base, { auth: { token: a.owner.token } });
      const attacker = await connectChat(a.base, { auth: { token: a.attacker.token } });
      try {
        expect(owner.connected && attacker.connected).toBe(true);
        expect(await emitAck(owner.socket, 'room:join', { roomId: c.roomId })).toMatchObject({
          ok: true,
        });
        const sent = await emitAck(owner.socket, 'chat:send', { roomId: c.roomId, text: 'mine' });
        expect(sent.ok).toBe(true);
        expect(await emitAck(attacker.socket, 'room:join', { roomId: c.roomId })).toMatchObject({
          ok: true,
        });
        const del = await emitAck(attacker.socket, 'chat:delete', { messageId: sent.message.id });
        expect(del).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
        const history = await a.http.get(`/api/v1/rooms/${c.roomId}/messages`);
        expect(history.body.items.map((i: { id: string }) => i.id)).toContain(sent.message.id);
      } finally {
        owner.socket.close();
        attacker.socket.close();
      }
    });

    it('refuses sending to a room the socket has not joined, and sending while banned', async () => {
      const c = await resources();
      const attacker = await connectChat(a.base, { auth: { token: a.attacker.token } });
      try {
        expect(
          await emitAck(attacker.socket, 'chat:send', { roomId: c.roomId, text: 'drive-by' }),
        ).toMatchObject({ ok: false, error: { code: 'NOT_IN_ROOM' } });
        expect(
          (
            await a.http.post(
              `/api/v1/rooms/${c.roomId}/bans`,
              { userId: a.attacker.id },
              a.owner.token,
            )
          ).status,
        ).toBeLessThan(300);
        await emitAck(attacker.socket, 'room:join', { roomId: c.roomId });
        expect(
          await emitAck(attacker.socket, 'chat:send', { roomId: c.roomId, text: 'banned talk' }),
        ).toMatchObject({ ok: false, error: { code: 'BANNED' } });
        const history = await a.http.get(`/api/v1/rooms/${c.roomId}/messages`);
        expect(history.body.items.map((i: { text: string }) => i.text)).not.toContain(
          'banned talk',
        );
      } finally {
        attacker.socket.close();
        await a.http.delete(`/api/v1/rooms/${c.roomId}/bans/${a.attacker.id}`, a.owner.token);
      }
    });
  });
});
