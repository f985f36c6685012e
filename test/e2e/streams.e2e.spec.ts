import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import { STREAM_OFFLINE, StreamStateEvent } from '../../src/common/ports';
import { startApp, TestApp } from '../helpers/app';
import { suiteModes } from '../helpers/modes';
import {
  createStream,
  getStream,
  nginxBody,
  nginxHook,
  sessionArgs,
  signPlay,
} from '../media/hook-client';

const modes = suiteModes('streams API');

const MAX = 3;

describe.each(modes)('streams API (%s)', (mode) => {
  let t: TestApp;
  let alice: { token: string; id: string };
  let bob: { token: string; id: string };
  let admin: string;

  beforeAll(async () => {
    t = await startApp(mode, {
      MAX_STREAMS_PER_USER: String(MAX),
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'root-password-1',
      THROTTLE_LIMIT: '10000',
    });
    alice = await t.http.user('alice');
    bob = await t.http.user('bob');
    admin = (
      await t.http.post('/api/v1/auth/login', { username: 'root', password: 'root-password-1' })
    ).body.accessToken;
  });
  afterAll(async () => t?.close());

  /** A fresh user with a fresh quota, so tests do not depend on each other's streams. */
  const freshUser = () => t.http.user('s');
  const publish = (id: string, key: string, clientid = '7') =>
    nginxHook(t.http, nginxBody('publish', id, `key=${key}`, clientid));

  it('creates a stream and shows the key and ingest only in that response', async () => {
    const u = await freshUser();
    const r = await t.http.post('/api/v1/streams', { title: '  Tech talk  ' }, u.token);
    expect(r.status).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const s = r.body;
    expect(s).toMatchObject({
      title: 'Tech talk',
      status: 'idle',
      access: 'public',
      ownerId: u.id,
      roomId: null,
      viewers: 0,
      startedAt: null,
      endedAt: null,
    });
    expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(s.createdAt).toISOString()).toBe(s.createdAt);
    expect(s.streamKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.ingest).toEqual({
      rtmpUrl: 'rtmp://localhost:1935/live',
      streamName: `${s.id}?key=${s.streamKey}`,
      url: `rtmp://localhost:1935/live/${s.id}?key=${s.streamKey}`,
    });
    // The owner's preview session: same shape as POST /streams/:id/playback.
    const q = '\\?sid=[A-Za-z0-9_-]{22}&exp=\\d+&sig=[A-Za-z0-9_-]{43}$';
    expect(s.playback.hls).toMatch(new RegExp(`^http://localhost:8080/hls/${s.id}\\.m3u8${q}`));
    expect(s.playback.rtmp).toMatch(new RegExp(`^rtmp://localhost:1935/live/${s.id}${q}`));
    expect(s.playback.flv).toBeNull();
    const { sid, exp, sig } = sessionArgs(s.playback.hls);
    expect(s.playback.sessionId).toBe(sid);
    expect(s.playback.expiresAt).toBe(new Date(Number(exp) * 1000).toISOString());
    expect(sig).toBe(signPlay(s.id, sid, Number(exp)));
    expect(Number(exp) - Date.now() / 1000).toBeGreaterThan(3500);

    const got = await t.http.get(`/api/v1/streams/${s.id}`);
    expect(got.status).toBe(200);
    expect(got.body.streamKey).toBeUndefined();
    expect(got.body.ingest).toBeUndefined();
    expect(got.text).not.toContain(s.streamKey);
    const { streamKey: _k, ingest: _i, playback: _p, ...rest } = s;
    expect(got.body).toEqual(rest);
    // 0.2: the public view carries no signed URLs.
    expect(got.body.playback).toBeUndefined();
    expect(got.text).not.toContain('sig=');

    const asOwner = await t.http.get(`/api/v1/streams/${s.id}`, u.token);
    expect(asOwner.text).not.toContain(s.streamKey);
    const list = await t.http.get(`/api/v1/streams?ownerId=${u.id}`, u.token);
    expect(list.body.items.map((i: any) => i.id)).toEqual([s.id]);
    expect(list.text).not.toContain(s.streamKey);
    expect(list.body.items[0].ingest).toBeUndefined();
  });

  it('requires a token to create, change, delete and rotate', async () => {
    const s = await createStream(t.http, alice.token);
    expect((await t.http.post('/api/v1/streams', { title: 'x' })).status).toBe(401);
    expect((await t.http.patch(`/api/v1/streams/${s.id}`, { title: 'x' })).status).toBe(401);
    expect((await t.http.delete(`/api/v1/streams/${s.id}`)).status).toBe(401);
    expect((await t.http.post(`/api/v1/streams/${s.id}/key`)).status).toBe(401);
    expect((await getStream(t.http, s.id)).title).toBe('Test stream');
    await t.http.delete(`/api/v1/streams/${s.id}`, alice.token);
  });

  it('answers 404 for an unknown stream and 400 for ids that are not UUIDs', async () => {
    const unknown = await t.http.get(`/api/v1/streams/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found' });
    for (const bad of [
      'not-a-uuid',
      encodeURIComponent("1' OR '1'='1"),
      '123',
      'x'.repeat(150),
      '00000000-0000-0000-0000-00000000000g',
    ]) {
      const r = await t.http.get(`/api/v1/streams/${bad}`);
      expect({ bad, status: r.status, code: r.body?.code }).toEqual({
        bad,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(r.body.requestId).toBe(r.headers.get('x-request-id'));
    }
    const s = await createStream(t.http, bob.token);
    const upper = await t.http.get(`/api/v1/streams/${s.id.toUpperCase()}`);
    expect(upper.status).toBe(200);
    expect(upper.body.id).toBe(s.id);
    expect((await t.http.patch(`/api/v1/streams/nope`, { title: 'x' }, bob.token)).status).toBe(
      400,
    );
    expect((await t.http.delete(`/api/v1/streams/nope`, bob.token)).status).toBe(400);
    expect((await t.http.post(`/api/v1/streams/nope/key`, undefined, bob.token)).status).toBe(400);
    expect((await t.http.delete(`/api/v1/streams/${randomUUID()}`, bob.token)).status).toBe(404);
    await t.http.delete(`/api/v1/streams/${s.id}`, bob.token);
  });

  it('validates the title and rejects unknown properties (ownerId, status, streamKey, viewers)', async () => {
    const u = await freshUser();
    for (const [prop, value] of [
      ['ownerId', randomUUID()],
      ['status', 'live'],
      ['streamKey', 'my-own-key'],
      ['viewers', 1000],
    ] as const) {
      const r = await t.http.post('/api/v1/streams', { title: 'ok', [prop]: value }, u.token);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect(r.body.message).toContain(`property ${prop} should not exist`);
    }
    for (const body of [
      {},
      { title: '' },
      { title: '   ' },
      { title: 'x'.repeat(121) },
      { title: 42 },
      { title: null },
      { title: 'ok', roomId: 'not-a-uuid' },
    ]) {
      const r = await t.http.post('/api/v1/streams', body, u.token);
      expect({ body, status: r.status, code: r.body.code }).toEqual({
        body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    const long = await t.http.post('/api/v1/streams', { title: 'x'.repeat(121) }, u.token);
    expect(long.body.message).toContain('title must be shorter than or equal to 120 characters');
    // Nothing was created by the refused requests.
    expect((await t.http.get(`/api/v1/streams?ownerId=${u.id}`)).body.items).toEqual([]);
    const max = await t.http.post('/api/v1/streams', { title: 'y'.repeat(120) }, u.token);
    expect(max.status).toBe(201);

    for (const body of [
      {},
      { title: '' },
      { title: null },
      { title: 'x'.repeat(121) },
      { status: 'ended' },
      { ownerId: bob.id },
      { viewers: 5 },
      { streamKey: 'k' },
      { roomId: 'nope' },
    ]) {
      const r = await t.http.patch(`/api/v1/streams/${max.body.id}`, body, u.token);
      expect({ body, status: r.status, code: r.body.code }).toEqual({
        body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    const after = await getStream(t.http, max.body.id);
    expect(after).toMatchObject({
      title: 'y'.repeat(120),
      status: 'idle',
      ownerId: u.id,
      viewers: 0,
    });
  });

  it('limits each user to MAX_STREAMS_PER_USER streams that are not ended (409)', async () => {
    const u = await freshUser();
    const ids: string[] = [];
    for (let i = 0; i < MAX; i++) ids.push((await createStream(t.http, u.token, `s${i}`)).id);
    const over = await t.http.post('/api/v1/streams', { title: 'one too many' }, u.token);
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ statusCode: 409, code: 'CONFLICT' });
    expect((await t.http.get(`/api/v1/streams?ownerId=${u.id}`)).body.items).toHaveLength(MAX);
    // Other users are not affected, and ending one frees a slot.
    expect(
      (await t.http.post('/api/v1/streams', { title: 'other user' }, (await freshUser()).token))
        .status,
    ).toBe(201);
    expect((await t.http.delete(`/api/v1/streams/${ids[0]}`, u.token)).status).toBe(204);
    expect((await t.http.post('/api/v1/streams', { title: 'fits again' }, u.token)).status).toBe(
      201,
    );
  });

  it('lists newest first with status/ownerId filters and cursor paging without duplicates', async () => {
    const u1 = await freshUser();
    const u2 = await freshUser();
    const mine: string[] = [];
    for (let i = 0; i < MAX; i++) mine.push((await createStream(t.http, u1.token, `mine ${i}`)).id);
    const theirs = await createStream(t.http, u2.token, 'theirs');
    const live = await createStream(t.http, u2.token, 'live one');
    expect((await publish(live.id, live.key)).status).toBe(200);
    const ended = await createStream(t.http, u2.token, 'ended one');
    expect((await t.http.delete(`/api/v1/streams/${ended.id}`, u2.token)).status).toBe(204);

    const byOwner = await t.http.get(`/api/v1/streams?ownerId=${u1.id}&limit=2`);
    expect(byOwner.status).toBe(200);
    expect(byOwner.body.items.map((s: any) => s.id)).toEqual([mine[2], mine[1]]);
    expect(typeof byOwner.body.nextCursor).toBe('string');
    const page2 = await t.http.get(
      `/api/v1/streams?ownerId=${u1.id}&limit=2&cursor=${byOwner.body.nextCursor}`,
    );
    expect(page2.body).toEqual({
      items: [expect.objectContaining({ id: mine[0] })],
      nextCursor: null,
    });

    const liveList = await t.http.get(`/api/v1/streams?status=live&limit=100`);
    expect(liveList.body.items.every((s: any) => s.status === 'live')).toBe(true);
    expect(liveList.body.items.map((s: any) => s.id)).toContain(live.id);
    const endedList = await t.http.get(`/api/v1/streams?status=ended&ownerId=${u2.id}`);
    expect(endedList.body.items.map((s: any) => s.id)).toEqual([ended.id]);
    const idleTheirs = await t.http.get(`/api/v1/streams?status=idle&ownerId=${u2.id}`);
    expect(idleTheirs.body.items.map((s: any) => s.id)).toEqual([theirs.id]);

    // Walk every page of the whole list: each stream exactly once, in (createdAt, id) descending order.
    const seen: any[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const r: any = await t.http.get(
        `/api/v1/streams?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.items);
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    const ids = seen.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [...mine, theirs.id, live.id, ended.id]) expect(ids).toContain(id);
    for (let i = 1; i < seen.length; i++) {
      const a = seen[i - 1];
      const b = seen[i];
      expect(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id)).toBe(true);
    }
    expect(seen.every((s) => s.streamKey === undefined)).toBe(true);

    for (const q of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'status=paused',
      'ownerId=not-a-uuid',
      'cursor=%21%21',
      `cursor=${Buffer.from('{"t":"x"}').toString('base64url')}`,
      'foo=bar',
    ]) {
      const r = await t.http.get(`/api/v1/streams?${q}`);
      expect({ q, status: r.status, code: r.body.code }).toEqual({
        q,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  });

  it('lets the owner and an admin change title and room; anyone else gets 403 and nothing changes', async () => {
    const s = await createStream(t.http, alice.token, 'Before');
    await getStream(t.http, s.id); // warm the view cache: the change below must still be visible at once
    const ok = await t.http.patch(`/api/v1/streams/${s.id}`, { title: '  After  ' }, alice.token);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: s.id, title: 'After', status: 'idle' });
    expect(ok.body.streamKey).toBeUndefined();
    expect((await getStream(t.http, s.id)).title).toBe('After');

    const denied = await t.http.patch(
      `/api/v1/streams/${s.id}`,
      { title: 'Hijacked', roomId: null },
      bob.token,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('FORBIDDEN');
    expect((await getStream(t.http, s.id)).title).toBe('After');

    const room = await t.http.post('/api/v1/rooms', { name: 'Stage' }, alice.token);
    expect(room.status).toBe(201);
    const linked = await t.http.patch(`/api/v1/streams/${s.id}`, { roomId: room.body.id }, admin);
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ title: 'After', roomId: room.body.id });
    const unlinked = await t.http.patch(`/api/v1/streams/${s.id}`, { roomId: null }, alice.token);
    expect(unlinked.body.roomId).toBeNull();

    // The room must exist and be open.
    const unknownRoom = await t.http.patch(
      `/api/v1/streams/${s.id}`,
      { roomId: randomUUID() },
      alice.token,
    );
    expect(unknownRoom.status).toBe(400);
    expect(unknownRoom.body.code).toBe('VALIDATION_FAILED');
    expect((await t.http.delete(`/api/v1/rooms/${room.body.id}`, alice.token)).status).toBe(204);
    const closedRoom = await t.http.patch(
      `/api/v1/streams/${s.id}`,
      { roomId: room.body.id },
      alice.token,
    );
    expect(closedRoom.status).toBe(409);
    expect(closedRoom.body.code).toBe('ROOM_CLOSED');
    expect(
      (
        await t.http.post(
          '/api/v1/streams',
          { title: 'In a closed room', roomId: room.body.id },
          alice.token,
        )
      ).status,
    ).toBe(409);
    expect((await getStream(t.http, s.id)).roomId).toBeNull();

    expect(
      (await t.http.patch(`/api/v1/streams/${randomUUID()}`, { title: 'x' }, alice.token)).status,
    ).toBe(404);
  });

  it('ends a live stream on DELETE (204, status ended, stream.offline) and keeps it ended', async () => {
    const s = await createStream(t.http, alice.token, 'Going away');
    expect((await publish(s.id, s.key)).status).toBe(200);
    expect((await getStream(t.http, s.id)).status).toBe('live');
    const events: StreamStateEvent[] = [];
    const onOffline = (e: StreamStateEvent) => events.push(e);
    t.app.get(EventEmitter2).on(STREAM_OFFLINE, onOffline);

    expect((await t.http.delete(`/api/v1/streams/${s.id}`, bob.token)).status).toBe(403);
    expect((await getStream(t.http, s.id)).status).toBe('live');

    const del = await t.http.delete(`/api/v1/streams/${s.id}`, alice.token);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    t.app.get(EventEmitter2).off(STREAM_OFFLINE, onOffline);
    expect(events).toEqual([{ streamId: s.id, roomId: null }]);
    const after = await getStream(t.http, s.id);
    expect(after).toMatchObject({ status: 'ended', viewers: 0 });
    expect(Date.parse(after.endedAt)).toBeGreaterThanOrEqual(Date.parse(after.startedAt));

    // Terminal: cannot publish, change or rotate; a second DELETE is harmless.
    expect((await publish(s.id, s.key, '99')).status).toBe(403);
    expect((await t.http.delete(`/api/v1/streams/${s.id}`, alice.token)).status).toBe(204);
    expect(
      (await t.http.patch(`/api/v1/streams/${s.id}`, { title: 'Back' }, alice.token)).status,
    ).toBe(409);
    expect((await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, alice.token)).status).toBe(
      409,
    );
    expect(await getStream(t.http, s.id)).toMatchObject({ status: 'ended', title: 'Going away' });

    const idle = await createStream(t.http, alice.token, 'Never live');
    expect((await t.http.delete(`/api/v1/streams/${idle.id}`, admin)).status).toBe(204);
    expect((await getStream(t.http, idle.id)).status).toBe('ended');
  });

  it('documents every stream and hook route in Swagger', async () => {
    const doc = (await t.http.get('/docs-json')).body;
    const op = (path: string, method: string) => doc.paths[path]?.[method];
    for (const [path, method, statuses] of [
      ['/api/v1/streams', 'post', ['201', '400', '401', '409']],
      ['/api/v1/streams/{id}', 'patch', ['200', '400', '401', '403', '404']],
      ['/api/v1/streams/{id}', 'delete', ['204', '401', '403', '404']],
      ['/api/v1/streams/{id}/key', 'post', ['200', '401', '403', '404']],
    ] as const) {
      expect({ path, method, security: op(path, method)?.security }).toEqual({
        path,
        method,
        security: [{ bearer: [] }],
      });
      expect(Object.keys(op(path, method).responses)).toEqual(
        expect.arrayContaining([...statuses]),
      );
      expect(op(path, method).responses['400'].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/ErrorResponseDto',
      );
    }
    expect(op('/api/v1/streams', 'get').parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining(['status', 'ownerId', 'limit', 'cursor']),
    );
    expect(Object.keys(op('/api/v1/streams/{id}', 'get').responses)).toEqual(
      expect.arrayContaining(['200', '404']),
    );
    expect(Object.keys(op('/api/v1/hooks/nginx-rtmp', 'post').requestBody.content)).toEqual([
      'application/x-www-form-urlencoded',
    ]);
    for (const dialect of ['nginx-rtmp', 'srs', 'mediamtx']) {
      const hook = op(`/api/v1/hooks/${dialect}`, 'post');
      expect(hook.parameters).toEqual([
        expect.objectContaining({ name: 'secret', in: 'query', required: true }),
      ]);
      expect(hook.responses['403']).toBeDefined();
    }
    expect(doc.components.schemas.StreamWithKeyDto.properties).toHaveProperty('streamKey');
    expect(doc.components.schemas.StreamDto.properties).not.toHaveProperty('streamKey');
    expect(doc.components.schemas.SrsHookBodyDto.properties).toHaveProperty('param');
  });

  it('rotates the key: the new one is shown once, the old one is refused at once', async () => {
    const s = await createStream(t.http, bob.token);
    expect((await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, alice.token)).status).toBe(
      403,
    );
    const r = await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, bob.token);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body.streamKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.body.streamKey).not.toBe(s.key);
    expect(r.body.ingest.url).toBe(`rtmp://localhost:1935/live/${s.id}?key=${r.body.streamKey}`);
    expect((await getStream(t.http, s.id)).streamKey).toBeUndefined();

    expect((await publish(s.id, s.key)).status).toBe(403);
    expect((await getStream(t.http, s.id)).status).toBe('idle');
    expect((await publish(s.id, r.body.streamKey)).status).toBe(200);
    expect((await getStream(t.http, s.id)).status).toBe('live');
    await t.http.delete(`/api/v1/streams/${s.id}`, bob.token);
  });
});
