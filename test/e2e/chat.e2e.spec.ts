import { EventEmitter2 } from '@nestjs/event-emitter';
import * as jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { STREAM_LIVE, STREAM_OFFLINE, USER_REVOKED } from '../../src/common/ports';
import { startApp, TestApp } from '../helpers/app';
import { suiteModes, TEST_SECRETS } from '../helpers/modes';
import { disconnectsProcessed } from '../helpers/http';
import { until } from '../helpers/wait';
import { ChatClient, connectChat } from './chat-socket-client';

const modes = suiteModes('chat gateway');

const ALLOWED_ORIGIN = 'https://app.example.com';
const MAX_FRAME = 4096;

describe.each(modes)('chat gateway (%s)', (mode) => {
  let t: TestApp;
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    t = await startApp(mode, {
      CORS_ORIGINS: ALLOWED_ORIGIN,
      PRESENCE_TTL_SEC: '2',
      CHAT_RATE_LIMIT: '5/5',
      WS_MAX_PAYLOAD_BYTES: String(MAX_FRAME),
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'root-password-1',
    });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => t?.close());

  const connect = async (
    token?: string,
    opts: { origin?: string; transports?: ('websocket' | 'polling')[] } = {},
  ) => {
    const c = await connectChat(t.url, { token, ...opts });
    clients.push(c);
    return c;
  };
  const user = (prefix = 'c', displayName?: string) =>
    t.http.user(prefix, displayName ? { displayName } : {});
  const newRoom = async (token: string) => {
    const r = await t.http.post(
      '/api/v1/rooms',
      { name: 'chat ' + randomUUID().slice(0, 8) },
      token,
    );
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const joined = async (c: ChatClient, roomId: string, extra: Record<string, unknown> = {}) => {
    const ack = await c.ack('room:join', { roomId, ...extra });
    expect(ack).toMatchObject({ ok: true, onlineCount: expect.any(Number) });
    return ack;
  };
  /** Sends a marker from `from` and waits until every `to` got it: everything sent before it has been delivered too. */
  const flush = async (from: ChatClient, roomId: string, to: ChatClient[]) => {
    const text = `marker ${randomUUID()}`;
    expect((await from.ack('chat:send', { roomId, text })).ok).toBe(true);
    await Promise.all(to.map((c) => c.waitFor('chat:message', (m) => m.text === text)));
  };
  const history = async (roomId: string, q = '') =>
    (await t.http.get(`/api/v1/rooms/${roomId}/messages${q}`)).body;

  it('joins and leaves with acks; unknown and closed rooms are refused', async () => {
    const u = await user();
    const roomId = await newRoom(u.token);
    const c = await connect(u.token);
    expect(await c.ack('room:join', { roomId })).toEqual({ ok: true, onlineCount: 1 });
    expect(await c.ack('room:leave', { roomId })).toEqual({ ok: true });
    expect(await c.ack('chat:send', { roomId, text: 'hi' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_IN_ROOM' },
    });
    expect(await c.ack('room:join', { roomId: randomUUID() })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'room not found' },
    });
    const closed = await newRoom(u.token);
    expect((await t.http.delete(`/api/v1/rooms/${closed}`, u.token)).status).toBe(204);
    expect(await c.ack('room:join', { roomId: closed })).toMatchObject({
      ok: false,
      error: { code: 'ROOM_CLOSED' },
    });
  });

  it('delivers a message to every member exactly once (the sender included), and not outside the room', async () => {
    const [a, b] = [await user('a', 'Ann'), await user('b')];
    const roomId = await newRoom(a.token);
    const [ca, cb, anon, outsider] = [
      await connect(a.token),
      await connect(b.token),
      await connect(),
      await connect(b.token),
    ];
    for (const c of [ca, cb, anon]) await joined(c, roomId);
    await joined(outsider, await newRoom(b.token));

    const ack = await ca.ack('chat:send', { roomId, text: '  hello room  ' });
    expect(ack).toEqual({
      ok: true,
      message: {
        id: expect.any(String),
        roomId,
        user: { id: a.id, displayName: 'Ann' },
        text: 'hello room',
        createdAt: expect.any(String),
      },
    });
    await flush(ca, roomId, [ca, cb, anon]);
    for (const c of [ca, cb, anon])
      expect(c.events('chat:message').filter((m) => m.id === ack.message.id)).toEqual([
        ack.message,
      ]);
    expect(outsider.events('chat:message')).toEqual([]);
  });

  it('keeps acknowledged messages in history, newest first with cursor paging, hidden ones left out', async () => {
    const u = await user();
    const roomId = await newRoom(u.token);
    const c = await connect(u.token);
    await joined(c, roomId);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await c.ack('chat:send', { roomId, text: `m${i}` })).message.id);
    expect((await c.ack('chat:delete', { messageId: ids[2] })).ok).toBe(true);

    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await history(roomId, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((m) => m.text)).toEqual(['m4', 'm3', 'm1', 'm0']);
    expect(seen[0]).toEqual({
      id: ids[4],
      roomId,
      user: { id: u.id, displayName: expect.any(String) },
      text: 'm4',
      createdAt: expect.any(String),
    });
  });

  it('lets anonymous viewers join and receive but not send', async () => {
    const u = await user();
    const roomId = await newRoom(u.token);
    const [cu, anon] = [await connect(u.token), await connect()];
    await joined(cu, roomId);
    await joined(anon, roomId);
    expect(await anon.ack('chat:send', { roomId, text: 'let me in' })).toEqual({
      ok: false,
      error: { code: 'UNAUTHORIZED', message: 'sign in to send messages' },
    });
    expect(await anon.ack('chat:delete', { messageId: randomUUID() })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHORIZED' },
    });
    const sent = await cu.ack('chat:send', { roomId, text: 'for everyone' });
    await anon.waitFor('chat:message', (m) => m.id === sent.message.id);
    expect((await history(roomId)).items.map((m: any) => m.text)).toEqual(['for everyone']);
  });

  it('refuses bad, expired and forged tokens at connect with "unauthorized"', async () => {
    const u = await user();
    const sign = (claims: object, opts: jwt.SignOptions = {}, secret = TEST_SECRETS.JWT_SECRET) =>
      jwt.sign(claims, secret, {
        algorithm: 'HS256',
        issuer: 'onair',
        audience: 'onair-api',
        expiresIn: 600,
        ...opts,
      });
    const bad = [
      'garbage',
      '',
      sign({ sub: u.id, role: 'user' }, {}, 'another-secret-another-secret-123'),
      sign({ sub: u.id, role: 'user' }, { expiresIn: -120 }),
      sign({ sub: randomUUID(), role: 'admin' }),
    ];
    for (const token of bad) {
      await expect(connectChat(t.url, { token })).rejects.toMatchObject({
        message: 'unauthorized',
      });
    }
    await expect(connectChat(t.url, { auth: { token: 12345 } })).rejects.toMatchObject({
      message: 'unauthorized',
    });
    const ok = await connect(sign({ sub: u.id, role: 'user' }));
    expect(ok.connected).toBe(true);
  });

  it('refuses Origins outside CORS_ORIGINS, over WebSocket and long-polling', async () => {
    for (const transports of [['websocket'], ['polling']] as ('websocket' | 'polling')[][]) {
      await expect(
        connectChat(t.url, { origin: 'https://evil.example', transports }),
      ).rejects.toBeInstanceOf(Error);
      const good = await connect(undefined, { origin: ALLOWED_ORIGIN, transports });
      expect(good.connected).toBe(true);
    }
    // Non-browser clients send no Origin at all.
    expect((await connect()).connected).toBe(true);
    // Long-polling is a full transport, not just a handshake.
    const u = await user();
    const roomId = await newRoom(u.token);
    const polling = await connect(u.token, { origin: ALLOWED_ORIGIN, transports: ['polling'] });
    await joined(polling, roomId);
    const sent = await polling.ack('chat:send', { roomId, text: 'over polling' });
    expect(await polling.waitFor('chat:message', (m) => m.id === sent.message.id)).toEqual(
      sent.message,
    );
    expect((await t.http.get('/metrics')).text).toMatch(
      /websocket_errors_total\{type="origin"\} [1-9]/,
    );
  });

  it('rate-limits a flooding user with RATE_LIMITED acks while another user is unaffected', async () => {
    const [flooder, calm] = [await user('flood'), await user('calm')];
    const roomId = await newRoom(flooder.token);
    const [cf, cc] = [await connect(flooder.token), await connect(calm.token)];
    await joined(cf, roomId);
    await joined(cc, roomId);
    const acks = await Promise.all(
      Array.from({ length: 9 }, (_, i) => cf.ack('chat:send', { roomId, text: `spam ${i}` })),
    );
    expect(acks.filter((a) => a.ok)).toHaveLength(5);
    const limited = acks.filter((a) => !a.ok);
    expect(limited).toHaveLength(4);
    for (const a of limited) expect(a.error.code).toBe('RATE_LIMITED');
    expect((await cc.ack('chat:send', { roomId, text: 'I can still talk' })).ok).toBe(true);
    expect((await history(roomId, '?limit=100')).items).toHaveLength(6);
    const metrics = (await t.http.get('/metrics')).text;
    expect(metrics).toMatch(/rate_limited_total\{scope="ws"\} [1-9]/);
  });

  it('refuses a frame over WS_MAX_PAYLOAD_BYTES by closing that connection; the process and other clients carry on', async () => {
    const [big, other] = [await user('big'), await user('oth')];
    const roomId = await newRoom(big.token);
    const [cb, co] = [await connect(big.token), await connect(other.token)];
    await joined(cb, roomId);
    await joined(co, roomId);
    cb.socket.emit('chat:send', { roomId, text: 'x'.repeat(MAX_FRAME * 2) });
    await until(() => !cb.connected, { message: 'oversized frame did not close the connection' });
    expect((await t.http.get('/health/live')).status).toBe(200);
    const ack = await co.ack('chat:send', { roomId, text: 'still fine' });
    expect(ack.ok).toBe(true);
    expect((await history(roomId)).items.map((m: any) => m.text)).toEqual(['still fine']);
    expect((await t.http.get('/metrics')).text).toMatch(
      /websocket_errors_total\{type="payload_too_large"\} [1-9]/,
    );
  });

  it('answers invalid payloads with VALIDATION_FAILED and survives a missing ack callback or unknown events', async () => {
    const u = await user();
    const roomId = await newRoom(u.token);
    const c = await connect(u.token);
    await joined(c, roomId);
    const cases: [string, unknown][] = [
      ['room:join', undefined],
      ['room:join', 'room'],
      ['room:join', [roomId]],
      ['room:join', { roomId: 'nope' }],
      ['room:join', { roomId, extra: 1 }],
      ['room:join', { roomId, viewerId: 'bad id' }],
      ['chat:send', { roomId }],
      ['chat:send', { roomId, text: '   ' }],
      ['chat:send', { roomId, text: 'x'.repeat(501) }],
      ['chat:send', { roomId, text: 42 }],
      ['chat:send', { roomId, text: 'ok', clientMsgId: 'has space' }],
      ['chat:send', { roomId, text: 'ok', clientMsgId: 'x'.repeat(65) }],
      ['chat:send', JSON.parse(`{"roomId":"${roomId}","text":"ok","__proto__":{"admin":true}}`)],
      ['chat:delete', { messageId: 5 }],
      ['presence:heartbeat', null],
      ['room:leave', {}],
    ];
    for (const [event, payload] of cases) {
      const ack = await c.ack(event, payload);
      expect({ event, payload, ok: ack.ok, code: ack.error?.code }).toEqual({
        event,
        payload,
        ok: false,
        code: 'VALIDATION_FAILED',
      });
    }
    expect((await c.ack('chat:send', { roomId, text: 'y'.repeat(500) })).ok).toBe(true);
    // No ack callback at all, then an event nobody handles: the connection keeps working.
    c.socket.emit('chat:send', { roomId, text: 'fire and forget' });
    c.socket.emit('room:join');
    expect(await c.ack('no:such-event', { a: 1 })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'unknown event' },
    });
    await until(
      async () => (await history(roomId)).items.some((m: any) => m.text === 'fire and forget'),
      { message: 'ack-less send was not stored' },
    );
    expect(c.connected).toBe(true);
    // A burst beyond the per-connection event budget: the excess is refused, the connection stays.
    const burst = await Promise.all(
      Array.from({ length: 40 }, () => c.ack('presence:heartbeat', { roomId })),
    );
    expect(
      burst.filter((a: any) => a.ok === false && a.error?.code === 'RATE_LIMITED').length,
    ).toBeGreaterThan(0);
    expect(c.connected).toBe(true);
    await until(async () => (await c.ack('presence:heartbeat', { roomId })).ok, {
      timeoutMs: 3000,
      intervalMs: 200,
      message: 'event budget never refilled',
    });
  });

  it('answers a repeated clientMsgId with the first message, without a second broadcast or row', async () => {
    const [u, v] = [await user(), await user()];
    const roomId = await newRoom(u.token);
    const [cu, cv] = [await connect(u.token), await connect(v.token)];
    await joined(cu, roomId);
    await joined(cv, roomId);
    const first = await cu.ack('chat:send', { roomId, text: 'once', clientMsgId: 'msg-1' });
    const again = await cu.ack('chat:send', { roomId, text: 'once (retry)', clientMsgId: 'msg-1' });
    expect(again).toEqual(first);
    // Another user may use the same clientMsgId: it is per user.
    const theirs = await cv.ack('chat:send', { roomId, text: 'mine', clientMsgId: 'msg-1' });
    expect(theirs.message.id).not.toBe(first.message.id);
    const racing = await Promise.all([
      cu.ack('chat:send', { roomId, text: 'race', clientMsgId: 'msg-2' }),
      cu.ack('chat:send', { roomId, text: 'race', clientMsgId: 'msg-2' }),
    ]);
    expect(racing[0].message.id).toBe(racing[1].message.id);
    await flush(cv, roomId, [cv]);
    expect(cv.events('chat:message').filter((m) => m.id === first.message.id)).toHaveLength(1);
    expect(cv.events('chat:message').filter((m) => m.id === racing[0].message.id)).toHaveLength(1);
    expect((await history(roomId)).items.map((m: any) => m.text).sort()).toEqual(
      expect.arrayContaining(['once', 'mine', 'race']),
    );
    expect(
      (await history(roomId)).items.filter((m: any) => m.text.startsWith('once')),
    ).toHaveLength(1);
  });

  it('bans: the user gets chat:banned and BANNED acks, can still read, and can talk again once unbanned', async () => {
    const [host, guest] = [await user('h'), await user('g')];
    const roomId = await newRoom(host.token);
    const [ch, cg, cg2] = [
      await connect(host.token),
      await connect(guest.token),
      await connect(guest.token),
    ];
    for (const c of [ch, cg]) await joined(c, roomId);
    const ban = await t.http.post(
      `/api/v1/rooms/${roomId}/bans`,
      { userId: guest.id, durationSec: 60 },
      host.token,
    );
    expect(ban.status).toBe(201);
    for (const c of [cg, cg2])
      expect(await c.waitFor('chat:banned')).toEqual({ roomId, until: ban.body.until });
    expect(ch.events('chat:banned')).toEqual([]);
    const refused = await cg.ack('chat:send', { roomId, text: 'can I?' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'BANNED' } });
    expect(refused.error.message).toContain(ban.body.until);
    const hostMsg = await ch.ack('chat:send', { roomId, text: 'you are muted' });
    await cg.waitFor('chat:message', (m) => m.id === hostMsg.message.id);

    expect(
      (await t.http.delete(`/api/v1/rooms/${roomId}/bans/${guest.id}`, host.token)).status,
    ).toBe(204);
    expect((await cg.ack('chat:send', { roomId, text: 'thanks' })).ok).toBe(true);
    expect(await t.http.get('/metrics').then((r) => r.text)).toMatch(
      /chat_messages_total\{result="rejected"\} [1-9]/,
    );
  });

  it('deletes (host or admin): members get chat:deleted and history hides the message', async () => {
    const [host, guest] = [await user('h'), await user('g')];
    const roomId = await newRoom(host.token);
    const [ch, cg, anon] = [await connect(host.token), await connect(guest.token), await connect()];
    for (const c of [ch, cg, anon]) await joined(c, roomId);
    const m = (await cg.ack('chat:send', { roomId, text: 'regrettable' })).message;
    const keep = (await cg.ack('chat:send', { roomId, text: 'fine' })).message;

    expect(await cg.ack('chat:delete', { messageId: m.id })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await ch.ack('chat:delete', { messageId: randomUUID() })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await ch.ack('chat:delete', { messageId: m.id })).toEqual({
      ok: true,
      id: m.id,
      roomId,
    });
    for (const c of [ch, cg, anon])
      expect(await c.waitFor('chat:deleted')).toEqual({ id: m.id, roomId });
    expect((await history(roomId)).items.map((x: any) => x.id)).toEqual([keep.id]);

    const admin = (
      await t.http.post('/api/v1/auth/login', { username: 'root', password: 'root-password-1' })
    ).body.accessToken;
    const ca = await connect(admin);
    expect(await ca.ack('chat:delete', { messageId: keep.id })).toMatchObject({ ok: true });
    expect((await history(roomId)).items).toEqual([]);
    // Deleting again is fine and does not broadcast twice.
    expect((await ca.ack('chat:delete', { messageId: keep.id })).ok).toBe(true);
    await flush(ch, roomId, [cg]);
    expect(cg.events('chat:deleted').filter((d) => d.id === keep.id)).toHaveLength(1);
  });

  it('closing a room sends room:closed and removes its members', async () => {
    const [host, guest] = [await user('h'), await user('g')];
    const roomId = await newRoom(host.token);
    const [ch, cg, anon] = [await connect(host.token), await connect(guest.token), await connect()];
    for (const c of [ch, cg, anon]) await joined(c, roomId);
    expect((await t.http.delete(`/api/v1/rooms/${roomId}`, host.token)).status).toBe(204);
    for (const c of [ch, cg, anon]) expect(await c.waitFor('room:closed')).toEqual({ roomId });
    expect(await cg.ack('chat:send', { roomId, text: 'anyone?' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_IN_ROOM' },
    });
    expect(await cg.ack('room:join', { roomId })).toMatchObject({
      ok: false,
      error: { code: 'ROOM_CLOSED' },
    });
    expect(await anon.ack('presence:heartbeat', { roomId })).toMatchObject({
      ok: false,
      error: { code: 'NOT_IN_ROOM' },
    });
    expect((await t.http.get(`/api/v1/rooms/${roomId}/presence`)).body.onlineCount).toBe(0);
  });

  it('counts presence over sockets and REST heartbeats, once per viewer, and drops it on disconnect and after the TTL', async () => {
    const u = await user('p', 'Pat');
    const roomId = await newRoom(u.token);
    const count = async () => (await t.http.get(`/api/v1/rooms/${roomId}/presence`)).body;

    const [tab1, tab2] = [await connect(u.token), await connect(u.token)];
    expect((await joined(tab1, roomId)).onlineCount).toBe(1);
    expect((await joined(tab2, roomId)).onlineCount).toBe(1);
    // An anonymous player heartbeating over REST, and the same viewer's chat socket: one viewer.
    expect(
      (await t.http.post(`/api/v1/rooms/${roomId}/heartbeat`, { viewerId: 'player-viewer-1' }))
        .status,
    ).toBe(204);
    const anon = await connect();
    expect((await joined(anon, roomId, { viewerId: 'player-viewer-1' })).onlineCount).toBe(2);
    expect(await count()).toEqual({
      roomId,
      onlineCount: 2,
      members: [{ userId: u.id, displayName: 'Pat' }],
    });

    // Sockets stay counted past the TTL without any heartbeat (the server refreshes them).
    const start = Date.now();
    await until(() => Date.now() - start > 3000, { timeoutMs: 4000 });
    expect((await count()).onlineCount).toBe(2);

    const disconnectsBefore = await disconnectsProcessed(t.http);
    tab1.close();
    // The server has handled the close before the count is checked (else the check is vacuous).
    await until(async () => (await disconnectsProcessed(t.http)) > disconnectsBefore, {
      message: 'the server never processed the closed tab',
    });
    expect(tab2.connected).toBe(true);
    expect((await count()).onlineCount).toBe(2);
    expect((await count()).members).toHaveLength(1);
    tab2.close();
    await until(async () => (await count()).members.length === 0, {
      timeoutMs: 1500,
      message: 'user still listed after its last tab closed',
    });
    expect((await count()).onlineCount).toBe(1);
    anon.close();
    await until(async () => (await count()).onlineCount === 0, {
      timeoutMs: 1500,
      message: 'disconnect did not drop the viewer at once',
    });

    expect(
      (await t.http.post(`/api/v1/rooms/${roomId}/heartbeat`, { viewerId: 'player-viewer-2' }))
        .status,
    ).toBe(204);
    expect((await count()).onlineCount).toBe(1);
    await until(async () => (await count()).onlineCount === 0, {
      timeoutMs: 5000,
      message: 'REST heartbeat never expired',
    });
    expect(await t.http.get('/health').then((r) => r.body.onlineViewers)).toEqual(
      expect.any(Number),
    );
  });

  it('sends presence:update coalesced to at most one per second per room', async () => {
    const u = await user();
    const roomId = await newRoom(u.token);
    const observer = await connect(u.token);
    await joined(observer, roomId);
    const started = Date.now();
    const burst = await Promise.all(Array.from({ length: 10 }, () => connect()));
    await Promise.all(burst.map((c) => joined(c, roomId)));
    await observer.waitFor('presence:update', (p) => p.onlineCount === 11, 5000);
    // Observe for a while: more updates must not trickle in after the burst settled.
    await until(() => Date.now() - started > 2500, { timeoutMs: 4000 });
    const windowMs = Date.now() - started;
    const updates = observer.events('presence:update');
    expect(updates.every((p) => p.roomId === roomId)).toBe(true);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    // Eleven changes in a burst; at most one update per started second (+1 for timer phase).
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(windowMs / 1000) + 1);
    for (const c of burst.slice(0, 5)) c.close();
    await observer.waitFor('presence:update', (p) => p.onlineCount === 6, 5000);
  });

  it("delivers stream:live / stream:offline to the stream's room only", async () => {
    const u = await user();
    const [roomId, otherRoom] = [await newRoom(u.token), await newRoom(u.token)];
    const [inRoom, elsewhere] = [await connect(), await connect()];
    await joined(inRoom, roomId);
    await joined(elsewhere, otherRoom);
    const streamId = randomUUID();
    const events = t.app.get(EventEmitter2);
    events.emit(STREAM_LIVE, { streamId, roomId });
    expect(await inRoom.waitFor('stream:live')).toEqual({ streamId, roomId });
    events.emit(STREAM_OFFLINE, { streamId, roomId });
    expect(await inRoom.waitFor('stream:offline')).toEqual({ streamId, roomId });
    events.emit(STREAM_LIVE, { streamId: randomUUID(), roomId: null });
    await flushEvents(inRoom, elsewhere, otherRoom, u.token);
    expect(elsewhere.events('stream:live')).toEqual([]);
    expect(inRoom.events('stream:live')).toHaveLength(1);
  });

  it('a stream of the room going live (media-server hook) reaches members and shows as liveStream', async () => {
    const u = await user();
    const roomId = await newRoom(u.token);
    const member = await connect();
    await joined(member, roomId);
    const created = await t.http.post('/api/v1/streams', { title: 'Live in the room' }, u.token);
    expect(created.status).toBe(201);
    const streamId = created.body.id as string;
    expect((await t.http.patch(`/api/v1/streams/${streamId}`, { roomId }, u.token)).status).toBe(
      200,
    );
    const hook = `/api/v1/hooks/srs?secret=${TEST_SECRETS.HOOK_SECRET}`;
    const body = {
      client_id: 'c1',
      ip: '127.0.0.1',
      app: 'live',
      stream: streamId,
      param: `?key=${created.body.streamKey}`,
    };
    expect((await t.http.post(hook, { action: 'on_publish', ...body })).body).toEqual({ code: 0 });
    expect(await member.waitFor('stream:live')).toEqual({ streamId, roomId });
    expect((await t.http.get(`/api/v1/rooms/${roomId}`)).body.liveStream).toMatchObject({
      id: streamId,
      status: 'live',
      roomId,
    });
    expect((await t.http.post(hook, { action: 'on_unpublish', ...body })).body).toEqual({
      code: 0,
    });
    expect(await member.waitFor('stream:offline')).toEqual({ streamId, roomId });
    expect((await t.http.get(`/api/v1/rooms/${roomId}`)).body.liveStream).toBeNull();
  });

  /** Round trip through the server so anything emitted before has arrived. */
  const flushEvents = async (a: ChatClient, b: ChatClient, roomId: string, token: string) => {
    const c = await connect(token);
    await joined(c, roomId);
    await flush(c, roomId, [b]);
    expect(a.connected).toBe(true);
  };

  it('closes the sockets of a revoked account', async () => {
    const u = await user();
    const c = await connect(u.token);
    t.app.get(EventEmitter2).emit(USER_REVOKED, { userId: u.id });
    await until(() => !c.connected, { message: 'revoked user kept its socket' });
    expect(c.disconnectReason).toBe('io server disconnect');
  });

  it('counts socket traffic in /metrics with bounded labels', async () => {
    const u = await user();
    const roomId = await newRoom(u.token);
    const c = await connect(u.token);
    await joined(c, roomId);
    await c.ack('chat:send', { roomId, text: 'count me' });
    // Its own unknown event and disconnect, so the counts below do not lean on earlier tests.
    expect(await c.ack('no:such-event', {})).toMatchObject({ ok: false });
    const disconnectsBefore = await disconnectsProcessed(t.http);
    (await connect(u.token)).close();
    await until(async () => (await disconnectsProcessed(t.http)) > disconnectsBefore, {
      message: 'the closed socket was never counted as a disconnect',
    });
    const text = (await t.http.get('/metrics')).text;
    expect(text).toMatch(/websocket_connections\{namespace="\/chat"\} [1-9]/);
    expect(text).toMatch(/websocket_messages_received_total\{event="chat:send"\} [1-9]/);
    expect(text).toMatch(/websocket_messages_sent_total\{event="chat:message"\} [1-9]/);
    expect(text).toMatch(/websocket_message_duration_seconds_count\{event="room:join"\} [1-9]/);
    expect(text).toMatch(/websocket_messages_received_total\{event="other"\} [1-9]/);
    expect(text).toMatch(/websocket_errors_total\{type="validation"\} [1-9]/);
    expect(text).toMatch(
      /websocket_disconnects_total\{namespace="\/chat",reason="[a-z ]+"\} [1-9]/,
    );
    expect(text).toMatch(/chat_messages_total\{result="delivered"\} [1-9]/);
    expect(text).not.toMatch(/event="no:such-event"/);
  });
});

describe('chat gateway on app.close()', () => {
  it('tells clients server:shutdown, then closes their connections', async () => {
    const t = await startApp('embedded');
    const u = await t.http.user('bye');
    const roomId = (await t.http.post('/api/v1/rooms', { name: 'closing' }, u.token)).body.id;
    const c = await connectChat(t.url, { token: u.token });
    expect((await c.ack('room:join', { roomId })).ok).toBe(true);
    expect((await c.ack('chat:send', { roomId, text: 'last words' })).ok).toBe(true);
    await t.close();
    expect(c.events('server:shutdown')).toEqual([{}]);
    // server:shutdown came after everything else this client was sent.
    expect(c.received[c.received.length - 1].event).toBe('server:shutdown');
    await until(() => !c.connected, { message: 'socket left open after close' });
    expect(c.disconnectReason).toBe('io server disconnect');
  });
});
