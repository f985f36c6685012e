import { randomUUID } from 'node:crypto';
import { RoomLookup } from '../../src/common/ports';
import { startApp, TestApp } from '../helpers/app';
import { suiteModes } from '../helpers/modes';

const modes = suiteModes('rooms REST');

describe.each(modes)('rooms REST (%s)', (mode) => {
  let t: TestApp;
  let host: { token: string; id: string };
  let other: { token: string; id: string };
  let admin: string;

  beforeAll(async () => {
    t = await startApp(mode, {
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'root-password-1',
      PRESENCE_TTL_SEC: '30',
    });
    host = await t.http.user('host');
    other = await t.http.user('other');
    admin = (
      await t.http.post('/api/v1/auth/login', { username: 'root', password: 'root-password-1' })
    ).body.accessToken;
  });
  afterAll(async () => t?.close());

  const createRoom = async (
    token = host.token,
    body: Record<string, unknown> = { name: 'Room ' + randomUUID().slice(0, 6) },
  ) => {
    const r = await t.http.post('/api/v1/rooms', body, token);
    expect(r.status).toBe(201);
    return r.body;
  };

  it('creates a room with the contract shape; the caller is its host', async () => {
    const r = await t.http.post(
      '/api/v1/rooms',
      { name: '  Tech talk  ', description: 'Q&A' },
      host.token,
    );
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Tech talk',
      description: 'Q&A',
      hostId: host.id,
      status: 'open',
      onlineCount: 0,
      createdAt: expect.any(String),
    });
    expect(new Date(r.body.createdAt).toISOString()).toBe(r.body.createdAt);
    const noDesc = await createRoom(host.token, { name: 'x' });
    expect(noDesc.description).toBe('');
  });

  it('refuses anonymous creation and invalid bodies with the error shape', async () => {
    expect((await t.http.post('/api/v1/rooms', { name: 'x' })).status).toBe(401);
    for (const body of [
      {},
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(81) },
      { name: 'ok', description: 'd'.repeat(501) },
      { name: 'ok', hostId: other.id },
      { name: 5 },
    ]) {
      const r = await t.http.post('/api/v1/rooms', body, host.token);
      expect({ body, status: r.status, code: r.body.code }).toEqual({
        body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    const ok = await t.http.post(
      '/api/v1/rooms',
      { name: 'x'.repeat(80), description: 'd'.repeat(500) },
      host.token,
    );
    expect(ok.status).toBe(201);
  });

  it('gets a room with onlineCount and liveStream; 404 unknown, 400 malformed id', async () => {
    const room = await createRoom();
    const r = await t.http.get(`/api/v1/rooms/${room.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...room, liveStream: null });
    const missing = await t.http.get(`/api/v1/rooms/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NOT_FOUND');
    const bad = await t.http.get('/api/v1/rooms/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  it('lists open rooms newest first with cursor paging and live onlineCount; ?status=closed lists closed ones', async () => {
    const created: any[] = [];
    for (let i = 0; i < 3; i++) created.push(await createRoom());
    await t.http.post(`/api/v1/rooms/${created[1].id}/heartbeat`, { viewerId: 'viewer-list-1' });

    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await t.http.get(`/api/v1/rooms?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    const ids = seen.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    const mine = seen.filter((x) => created.some((c) => c.id === x.id));
    expect(mine.map((x) => x.id)).toEqual(created.map((c) => c.id).reverse());
    expect(mine.find((x) => x.id === created[1].id).onlineCount).toBe(1);
    expect(seen.every((x) => x.status === 'open')).toBe(true);

    expect((await t.http.delete(`/api/v1/rooms/${created[0].id}`, host.token)).status).toBe(204);
    const closed = await t.http.get('/api/v1/rooms?status=closed&limit=100');
    expect(closed.body.items.map((x: any) => x.id)).toContain(created[0].id);
    const open = await t.http.get('/api/v1/rooms?limit=100');
    expect(open.body.items.map((x: any) => x.id)).not.toContain(created[0].id);

    for (const q of [
      'status=gone',
      'limit=0',
      'limit=101',
      'cursor=%24%24',
      'cursor=abc',
      'foo=1',
    ]) {
      const r = await t.http.get(`/api/v1/rooms?${q}`);
      expect({ q, status: r.status }).toEqual({ q, status: 400 });
    }
  });

  it('lets the host or an admin patch; anybody else gets 403 and nothing changes', async () => {
    const room = await createRoom();
    const denied = await t.http.patch(
      `/api/v1/rooms/${room.id}`,
      { name: 'hijacked' },
      other.token,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('FORBIDDEN');
    expect((await t.http.patch(`/api/v1/rooms/${room.id}`, { name: 'x' })).status).toBe(401);
    expect((await t.http.get(`/api/v1/rooms/${room.id}`)).body.name).toBe(room.name);

    const byHost = await t.http.patch(
      `/api/v1/rooms/${room.id}`,
      { name: 'Renamed', description: 'new' },
      host.token,
    );
    expect(byHost.status).toBe(200);
    expect(byHost.body).toMatchObject({
      id: room.id,
      name: 'Renamed',
      description: 'new',
      status: 'open',
    });
    const byAdmin = await t.http.patch(
      `/api/v1/rooms/${room.id}`,
      { description: 'by admin' },
      admin,
    );
    expect(byAdmin.status).toBe(200);
    expect((await t.http.get(`/api/v1/rooms/${room.id}`)).body).toMatchObject({
      name: 'Renamed',
      description: 'by admin',
    });

    expect((await t.http.patch(`/api/v1/rooms/${room.id}`, { name: '' }, host.token)).status).toBe(
      400,
    );
    expect(
      (await t.http.patch(`/api/v1/rooms/${room.id}`, { status: 'closed' }, host.token)).status,
    ).toBe(400);
    expect(
      (await t.http.patch(`/api/v1/rooms/${randomUUID()}`, { name: 'x' }, host.token)).status,
    ).toBe(404);
  });

  it('closes a room (host or admin, idempotent); a closed room refuses edits and heartbeats', async () => {
    const room = await createRoom();
    expect((await t.http.delete(`/api/v1/rooms/${room.id}`, other.token)).status).toBe(403);
    expect((await t.http.get(`/api/v1/rooms/${room.id}`)).body.status).toBe('open');
    expect((await t.http.delete(`/api/v1/rooms/${room.id}`, admin)).status).toBe(204);
    expect((await t.http.delete(`/api/v1/rooms/${room.id}`, host.token)).status).toBe(204);
    const after = await t.http.get(`/api/v1/rooms/${room.id}`);
    expect(after.body).toMatchObject({ status: 'closed', onlineCount: 0 });
    const patch = await t.http.patch(`/api/v1/rooms/${room.id}`, { name: 'again' }, host.token);
    expect(patch.status).toBe(409);
    expect(patch.body.code).toBe('ROOM_CLOSED');
    const hb = await t.http.post(`/api/v1/rooms/${room.id}/heartbeat`, {
      viewerId: 'viewer-closed-1',
    });
    expect(hb.status).toBe(409);
    expect(hb.body.code).toBe('ROOM_CLOSED');
  });

  it('bans and unbans (host or admin); refuses unknown users, the host and other callers', async () => {
    const room = await createRoom();
    const denied = await t.http.post(
      `/api/v1/rooms/${room.id}/bans`,
      { userId: host.id },
      other.token,
    );
    expect(denied.status).toBe(403);
    const ban = await t.http.post(
      `/api/v1/rooms/${room.id}/bans`,
      { userId: other.id, durationSec: 600 },
      host.token,
    );
    expect(ban.status).toBe(201);
    expect(ban.body).toEqual({
      roomId: room.id,
      userId: other.id,
      until: expect.any(String),
      createdAt: expect.any(String),
    });
    const untilMs = new Date(ban.body.until).getTime() - Date.now();
    expect(untilMs).toBeGreaterThan(590_000);
    expect(untilMs).toBeLessThanOrEqual(600_000);
    const forever = await t.http.post(`/api/v1/rooms/${room.id}/bans`, { userId: other.id }, admin);
    expect(forever.status).toBe(201);
    expect(forever.body.until).toBeNull();

    expect(
      (await t.http.post(`/api/v1/rooms/${room.id}/bans`, { userId: randomUUID() }, host.token))
        .status,
    ).toBe(404);
    expect(
      (await t.http.post(`/api/v1/rooms/${room.id}/bans`, { userId: host.id }, admin)).status,
    ).toBe(409);
    for (const body of [
      {},
      { userId: 'nope' },
      { userId: other.id, durationSec: 0 },
      { userId: other.id, durationSec: 1.5 },
      { userId: other.id, durationSec: 10 ** 9 },
      { userId: other.id, extra: 1 },
    ]) {
      expect((await t.http.post(`/api/v1/rooms/${room.id}/bans`, body, host.token)).status).toBe(
        400,
      );
    }
    expect(
      (await t.http.delete(`/api/v1/rooms/${room.id}/bans/${other.id}`, other.token)).status,
    ).toBe(403);
    expect(
      (await t.http.delete(`/api/v1/rooms/${room.id}/bans/${other.id}`, host.token)).status,
    ).toBe(204);
    expect(
      (await t.http.delete(`/api/v1/rooms/${room.id}/bans/${other.id}`, host.token)).status,
    ).toBe(204);
    expect(
      (await t.http.delete(`/api/v1/rooms/${room.id}/bans/not-a-uuid`, host.token)).status,
    ).toBe(400);
  });

  it('counts REST heartbeats: anonymous by viewerId, signed-in by token (listed by display name)', async () => {
    const room = await createRoom();
    const named = await t.http.user('named', { displayName: 'Named Viewer' });
    expect(
      (await t.http.post(`/api/v1/rooms/${room.id}/heartbeat`, { viewerId: 'anon-viewer-001' }))
        .status,
    ).toBe(204);
    expect(
      (await t.http.post(`/api/v1/rooms/${room.id}/heartbeat`, { viewerId: 'anon-viewer-001' }))
        .status,
    ).toBe(204);
    expect(
      (await t.http.post(`/api/v1/rooms/${room.id}/heartbeat`, { viewerId: 'anon-viewer-002' }))
        .status,
    ).toBe(204);
    expect((await t.http.post(`/api/v1/rooms/${room.id}/heartbeat`, {}, named.token)).status).toBe(
      204,
    );
    // A signed-in viewer is itself whatever viewerId it sends.
    expect(
      (
        await t.http.post(
          `/api/v1/rooms/${room.id}/heartbeat`,
          { viewerId: 'ignored-for-users' },
          named.token,
        )
      ).status,
    ).toBe(204);

    const p = await t.http.get(`/api/v1/rooms/${room.id}/presence`);
    expect(p.status).toBe(200);
    expect(p.body).toEqual({
      roomId: room.id,
      onlineCount: 3,
      members: [{ userId: named.id, displayName: 'Named Viewer' }],
    });
    expect((await t.http.get(`/api/v1/rooms/${room.id}`)).body.onlineCount).toBe(3);

    for (const body of [
      {},
      { viewerId: 'short' },
      { viewerId: 'has space in it' },
      { viewerId: 'x'.repeat(65) },
      { viewerId: 12345678 },
      { viewerId: 'anon-viewer-003', other: 1 },
    ]) {
      const r = await t.http.post(`/api/v1/rooms/${room.id}/heartbeat`, body);
      expect({ body, status: r.status, code: r.body.code }).toEqual({
        body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    expect(
      (
        await t.http.post(
          `/api/v1/rooms/${room.id}/heartbeat`,
          { viewerId: 'anon-viewer-004' },
          'bad-token',
        )
      ).status,
    ).toBe(401);
    expect(
      (
        await t.http.post(`/api/v1/rooms/${randomUUID()}/heartbeat`, {
          viewerId: 'anon-viewer-005',
        })
      ).status,
    ).toBe(404);
    expect((await t.http.get(`/api/v1/rooms/${randomUUID()}/presence`)).status).toBe(404);
    expect((await t.http.get(`/api/v1/rooms/${room.id}/presence`)).body.onlineCount).toBe(3);
  });

  it('serves an empty history for a new room and 404 for an unknown one', async () => {
    const room = await createRoom();
    const r = await t.http.get(`/api/v1/rooms/${room.id}/messages`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ items: [], nextCursor: null });
    expect((await t.http.get(`/api/v1/rooms/${randomUUID()}/messages`)).status).toBe(404);
    expect((await t.http.get('/api/v1/rooms/nope/messages')).status).toBe(400);
  });

  it('offers RoomLookup to other features (streams check room ids with it)', async () => {
    const room = await createRoom();
    const lookup = t.app.get(RoomLookup);
    expect(await lookup.status(room.id)).toBe('open');
    expect(await lookup.status(randomUUID())).toBeUndefined();
    expect(await lookup.status('not-a-uuid')).toBeUndefined();
    await t.http.delete(`/api/v1/rooms/${room.id}`, host.token);
    expect(await lookup.status(room.id)).toBe('closed');
  });

  it('documents every rooms route in Swagger', async () => {
    const doc = await t.http.get('/docs-json');
    const paths = Object.keys(doc.body.paths);
    for (const p of [
      '/api/v1/rooms',
      '/api/v1/rooms/{id}',
      '/api/v1/rooms/{id}/messages',
      '/api/v1/rooms/{id}/bans',
      '/api/v1/rooms/{id}/bans/{userId}',
      '/api/v1/rooms/{id}/heartbeat',
      '/api/v1/rooms/{id}/presence',
    ]) {
      expect(paths).toContain(p);
    }
  });
});
