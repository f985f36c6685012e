import { modeEnv, ModeEnv } from '../helpers/modes';
import { ADMIN, connectChat, emitAck, securityMode, startWithEnv, uploadVideo } from './support';

/** Server-owned fields a client might try to set. */
const SMUGGLED: Record<string, unknown> = {
  ownerId: '00000000-0000-4000-8000-000000000001',
  hostId: '00000000-0000-4000-8000-000000000001',
  userId: '00000000-0000-4000-8000-000000000001',
  role: 'admin',
  status: 'live',
  streamKey: 'attacker-chosen-key-attacker-chosen-key',
  keyHash: 'x',
  viewers: 999999,
  onlineCount: 999999,
  id: '00000000-0000-4000-8000-000000000002',
  createdAt: '2000-01-01T00:00:00.000Z',
  disabledAt: null,
  size: 1,
};

/**
 * OWASP API3 (broken object property level authorization / mass assignment): any property a
 * DTO does not declare is a 400 naming it, on every writable route, and nothing is written.
 */
describe(`mass assignment (${securityMode})`, () => {
  let m: ModeEnv;
  let app: Awaited<ReturnType<typeof startWithEnv>>;
  let user: { token: string; id: string };
  let streamId: string;
  let roomId: string;
  let videoId: string;

  beforeAll(async () => {
    m = await modeEnv(securityMode, {
      ...ADMIN,
      THROTTLE_LIMIT: '100000',
      MAX_STREAMS_PER_USER: '1000',
    });
    app = await startWithEnv(m.env);
    user = await app.http.user('mass');
    roomId = (await app.http.post('/api/v1/rooms', { name: 'room' }, user.token)).body.id;
    streamId = (await app.http.post('/api/v1/streams', { title: 'stream' }, user.token)).body.id;
    videoId = (await uploadVideo(app.url, user.token)).body.id;
  });
  afterAll(async () => {
    await app?.close();
    await m?.cleanup();
  });

  const writes = () => [
    {
      name: 'register',
      method: 'POST',
      path: '/api/v1/auth/register',
      body: { username: `mass_${Date.now()}`, password: 'password-123' },
      token: undefined,
    },
    {
      name: 'login',
      method: 'POST',
      path: '/api/v1/auth/login',
      body: { username: 'nobody', password: 'password-123' },
      token: undefined,
    },
    {
      name: 'create stream',
      method: 'POST',
      path: '/api/v1/streams',
      body: { title: 'x' },
      token: user.token,
    },
    {
      name: 'update stream',
      method: 'PATCH',
      path: `/api/v1/streams/${streamId}`,
      body: { title: 'y' },
      token: user.token,
    },
    {
      name: 'create room',
      method: 'POST',
      path: '/api/v1/rooms',
      body: { name: 'x' },
      token: user.token,
    },
    {
      name: 'update room',
      method: 'PATCH',
      path: `/api/v1/rooms/${roomId}`,
      body: { name: 'y' },
      token: user.token,
    },
    {
      name: 'heartbeat',
      method: 'POST',
      path: `/api/v1/rooms/${roomId}/heartbeat`,
      body: { viewerId: 'viewer-1' },
      token: undefined,
    },
    {
      name: 'save progress',
      method: 'PUT',
      path: `/api/v1/videos/${videoId}/progress`,
      body: { positionSec: 1, paused: false },
      token: user.token,
    },
  ];

  it.each(Object.keys(SMUGGLED))(
    'refuses "%s" on every writable route with 400 naming it',
    async (field) => {
      const wrong: string[] = [];
      for (const w of writes()) {
        // `userId` is a real field of one DTO (bans); that route is covered below.
        const r = await app.http.request(w.method, w.path, {
          token: w.token,
          body: { ...w.body, [field]: SMUGGLED[field] },
        });
        const named = JSON.stringify(r.body?.message ?? '').includes(
          `property ${field} should not exist`,
        );
        if (r.status !== 400 || r.body?.code !== 'VALIDATION_FAILED' || !named)
          wrong.push(`${w.name} + ${field} → ${r.status} ${r.text.slice(0, 100)}`);
      }
      expect(wrong).toEqual([]);
    },
  );

  it('refuses smuggled fields on bans too', async () => {
    const other = await app.http.user('banme');
    const r = await app.http.post(
      `/api/v1/rooms/${roomId}/bans`,
      { userId: other.id, roomId: '00000000-0000-4000-8000-000000000003', until: null },
      user.token,
    );
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
  });

  it('refuses extra multipart fields on upload (no ownerId/size/contentType from the client)', async () => {
    for (const field of ['ownerId', 'size', 'contentType', 'id']) {
      const r = await uploadVideo(app.url, user.token, 'smuggle', { [field]: 'x' });
      expect({ field, status: r.status }).toEqual({ field, status: 400 });
    }
  });

  it('changed nothing: the stream, room and account are as they were', async () => {
    const s = (await app.http.get(`/api/v1/streams/${streamId}`)).body;
    expect(s).toMatchObject({ title: 'stream', status: 'idle', ownerId: user.id, viewers: 0 });
    const r = (await app.http.get(`/api/v1/rooms/${roomId}`)).body;
    expect(r).toMatchObject({ name: 'room', hostId: user.id, status: 'open' });
    expect((await app.http.get('/api/v1/auth/me', user.token)).body.role).toBe('user');
    const mine = (await app.http.get(`/api/v1/streams?ownerId=${user.id}`)).body.items;
    expect(mine).toHaveLength(1);
  });

  it('refuses smuggled fields in socket payloads (chat:send with userId/createdAt)', async () => {
    const s = await connectChat(app.url, { auth: { token: user.token } });
    try {
      expect(await emitAck(s.socket, 'room:join', { roomId })).toMatchObject({ ok: true });
      for (const extra of [
        { userId: SMUGGLED.userId },
        { user: { id: SMUGGLED.userId, displayName: 'admin' } },
        { createdAt: SMUGGLED.createdAt },
        { id: SMUGGLED.id },
      ]) {
        expect(
          await emitAck(s.socket, 'chat:send', { roomId, text: 'hi', ...extra }),
        ).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      }
      const history = (await app.http.get(`/api/v1/rooms/${roomId}/messages`)).body.items;
      expect(history).toEqual([]);
    } finally {
      s.socket.close();
    }
  });
});
