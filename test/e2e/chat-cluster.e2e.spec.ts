/**
 * Two (and briefly three) real OnAir processes sharing one PostgreSQL database and one Redis
 * (same REDIS_KEY_PREFIX and JWT_SECRET), as behind the nginx of docker-compose. Runs the built
 * app: `npm run build` first, or point ONAIR_MAIN_JS at a private build.
 */
import { randomUUID } from 'node:crypto';
import { ModeEnv, modeEnv } from '../helpers/modes';
import { AppProcess, spawnApp } from '../helpers/process';
import { describeWithServices } from '../helpers/services';
import { disconnectsProcessed } from '../helpers/http';
import { until } from '../helpers/wait';
import { ChatClient, connectChat } from './chat-socket-client';

describeWithServices('chat across instances (Redis adapter)', () => {
  let m: ModeEnv;
  let A: AppProcess;
  let B: AppProcess;
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    m = await modeEnv('clustered', {
      PRESENCE_TTL_SEC: '3',
      CHAT_RATE_LIMIT: '1000/5',
      SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'warn',
    });
    // One after the other: the first one applies the migrations.
    A = await spawnApp(m.env);
    B = await spawnApp(m.env);
  }, 90_000);
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await Promise.all([A?.stop('SIGKILL'), B?.stop('SIGKILL')]);
    await m?.cleanup();
  });

  const connect = async (app: AppProcess, token?: string) => {
    const c = await connectChat(app.url, { token });
    clients.push(c);
    return c;
  };
  const user = (prefix = 'k') => A.http.user(prefix);
  const newRoom = async (token: string) =>
    (await A.http.post('/api/v1/rooms', { name: 'cluster ' + randomUUID().slice(0, 6) }, token))
      .body.id as string;
  const join = async (c: ChatClient, roomId: string) => {
    const ack = await c.ack('room:join', { roomId });
    expect(ack.ok).toBe(true);
    return ack;
  };
  const flush = async (from: ChatClient, roomId: string, to: ChatClient[]) => {
    const text = `marker ${randomUUID()}`;
    expect((await from.ack('chat:send', { roomId, text })).ok).toBe(true);
    await Promise.all(to.map((c) => c.waitFor('chat:message', (x) => x.text === text)));
  };
  const presence = async (app: AppProcess, roomId: string) =>
    (await app.http.get(`/api/v1/rooms/${roomId}/presence`)).body;

  it('delivers a message sent on one instance to the members on both, exactly once', async () => {
    const [u1, u2, u3] = [await user(), await user(), await user()];
    const roomId = await newRoom(u1.token);
    const onA = [await connect(A, u1.token), await connect(A, u3.token)];
    const onB = [await connect(B, u2.token), await connect(B)];
    for (const c of [...onA, ...onB]) await join(c, roomId);

    const fromA = (await onA[0].ack('chat:send', { roomId, text: 'hello from A' })).message;
    const fromB = (await onB[0].ack('chat:send', { roomId, text: 'hello from B' })).message;
    await flush(onA[1], roomId, [...onA, ...onB]);
    for (const c of [...onA, ...onB]) {
      expect(c.events('chat:message').filter((x) => x.id === fromA.id)).toEqual([fromA]);
      expect(c.events('chat:message').filter((x) => x.id === fromB.id)).toEqual([fromB]);
    }
    const hist = (await B.http.get(`/api/v1/rooms/${roomId}/messages`)).body.items.map(
      (x: any) => x.id,
    );
    expect(hist).toEqual(expect.arrayContaining([fromA.id, fromB.id]));
  });

  it('propagates bans, deletions and room closing to both instances', async () => {
    const [host, guest] = [await user('h'), await user('g')];
    const roomId = await newRoom(host.token);
    const hostA = await connect(A, host.token);
    const guestA = await connect(A, guest.token);
    const guestB = await connect(B, guest.token);
    const anonB = await connect(B);
    for (const c of [hostA, guestA, guestB, anonB]) await join(c, roomId);

    const ban = await B.http.post(`/api/v1/rooms/${roomId}/bans`, { userId: guest.id }, host.token);
    expect(ban.status).toBe(201);
    for (const c of [guestA, guestB])
      expect(await c.waitFor('chat:banned')).toEqual({ roomId, until: null });
    expect(await guestA.ack('chat:send', { roomId, text: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'BANNED' },
    });
    expect(await guestB.ack('chat:send', { roomId, text: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'BANNED' },
    });
    expect(
      (await A.http.delete(`/api/v1/rooms/${roomId}/bans/${guest.id}`, host.token)).status,
    ).toBe(204);
    const msg = (await guestB.ack('chat:send', { roomId, text: 'sorry' })).message;
    await hostA.waitFor('chat:message', (x) => x.id === msg.id);

    expect(await hostA.ack('chat:delete', { messageId: msg.id })).toMatchObject({ ok: true });
    for (const c of [hostA, guestA, guestB, anonB])
      expect(await c.waitFor('chat:deleted')).toEqual({ id: msg.id, roomId });
    expect((await B.http.get(`/api/v1/rooms/${roomId}/messages`)).body.items).toEqual([]);

    expect((await B.http.delete(`/api/v1/rooms/${roomId}`, host.token)).status).toBe(204);
    for (const c of [hostA, guestA, guestB, anonB])
      expect(await c.waitFor('room:closed')).toEqual({ roomId });
    expect(await hostA.ack('chat:send', { roomId, text: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_IN_ROOM' },
    });
    expect(await guestB.ack('chat:send', { roomId, text: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_IN_ROOM' },
    });
    expect(await presence(A, roomId)).toMatchObject({ onlineCount: 0 });
  });

  it('agrees on presence from both instances: one viewer across instances, kept while any tab is open', async () => {
    const [u, v] = [await user('p'), await user('q')];
    const roomId = await newRoom(u.token);
    const watcherA = await connect(A, v.token);
    await join(watcherA, roomId);
    const tabA = await connect(A, u.token);
    const tabB = await connect(B, u.token);
    await join(tabA, roomId);
    expect((await join(tabB, roomId)).onlineCount).toBe(2);
    expect(
      (await B.http.post(`/api/v1/rooms/${roomId}/heartbeat`, { viewerId: 'cluster-viewer-1' }))
        .status,
    ).toBe(204);
    for (const app of [A, B]) expect((await presence(app, roomId)).onlineCount).toBe(3);
    // A's watcher hears about B's and the REST viewer's arrival.
    await watcherA.waitFor('presence:update', (p) => p.roomId === roomId && p.onlineCount === 3);

    const disconnectsBefore = await disconnectsProcessed(A.http);
    tabA.close();
    // A has handled the close before presence is checked (else the check is vacuous).
    await until(async () => (await disconnectsProcessed(A.http)) > disconnectsBefore, {
      message: 'A never processed the closed tab',
    });
    for (const app of [A, B]) expect((await presence(app, roomId)).members).toHaveLength(2);
    tabB.close();
    await until(
      async () =>
        (await presence(A, roomId)).members.length === 1 &&
        (await presence(B, roomId)).members.length === 1,
      { timeoutMs: 2000, message: 'viewer not dropped after its last tab closed' },
    );
  });

  it('forgets the viewers of a crashed instance after the TTL', async () => {
    const u = await user();
    const roomId = await newRoom(u.token);
    const C = await spawnApp(m.env);
    try {
      const onC = await connectChat(C.url);
      await join(onC, roomId);
      expect((await presence(A, roomId)).onlineCount).toBe(1);
      C.proc.kill('SIGKILL');
      await C.exited;
      await until(async () => (await presence(A, roomId)).onlineCount === 0, {
        timeoutMs: 6000,
        message: 'crashed instance kept its viewers',
      });
    } finally {
      await C.stop('SIGKILL');
    }
  }, 60_000);

  it('on SIGTERM of B: its clients get server:shutdown, move to A, and no acknowledged message is lost', async () => {
    const [s, o] = [await user('s'), await user('o')];
    const roomId = await newRoom(s.token);
    const observerA = await connect(A, o.token);
    const observerB = await connect(B);
    await join(observerA, roomId);
    await join(observerB, roomId);

    // A client behind a load balancer: on server:shutdown or a lost connection it reconnects
    // (here: to A), joins again and re-sends what was not acknowledged, with the same clientMsgId.
    let sock = await connect(B, s.token);
    await join(sock, roomId);
    let moved = false;
    let shutdownSeen = false;
    sock.socket.on('server:shutdown', () => (shutdownSeen = true));
    const moveToA = async () => {
      sock.close();
      sock = await connect(A, s.token);
      await join(sock, roomId);
      moved = true;
    };

    const acked = new Map<number, any>();
    const N = 30;
    let killed: Promise<number | null> | undefined;
    let released: Promise<{ withinMs: number } | { error: string }> | undefined;
    for (let i = 0; i < N; i++) {
      if (i === 8) {
        B.proc.kill('SIGTERM');
        killed = B.exited;
        // Within 1 s of B's exit (the TTL is 3 s) its viewers are gone: A's observer and the moved
        // client at most, where B's anonymous observer and stale entries would make 3 or more.
        released = killed
          .then(async () => {
            const exitedAt = Date.now();
            await until(async () => (await presence(A, roomId)).onlineCount <= 2, {
              timeoutMs: 1000,
              intervalMs: 20,
              message: "B's viewers still online 1 s after it exited",
            });
            return { withinMs: Date.now() - exitedAt };
          })
          .catch((err: Error) => ({ error: err.message }));
      }
      for (let attempt = 0; !acked.has(i); attempt++) {
        expect(attempt).toBeLessThan(10);
        if (!moved && (shutdownSeen || !sock.connected)) await moveToA();
        const ack = await sock
          .ack('chat:send', { roomId, text: `msg ${i}`, clientMsgId: `m-${i}` }, 3000)
          .catch(() => undefined);
        if (ack?.ok) acked.set(i, ack.message);
        else if (
          ack &&
          ack.error.code !== 'SERVICE_UNAVAILABLE' &&
          ack.error.code !== 'NOT_IN_ROOM'
        )
          throw new Error(`unexpected ack ${JSON.stringify(ack)}`);
        else if (!moved) await moveToA();
      }
      await new Promise((r) => setTimeout(r, 120)); // a person typing, well within the per-connection budget
    }

    expect(await killed).toBe(0);
    expect(moved).toBe(true);
    expect(observerB.events('server:shutdown')).toEqual([{}]);
    expect(B.output()).not.toMatch(/"level":"(error|fatal)"/);

    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (
        await A.http.get(
          `/api/v1/rooms/${roomId}/messages?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        )
      ).body;
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const stored = new Map(items.map((x) => [x.id, x]));
    for (const [i, msg] of acked)
      expect({ i, stored: stored.get(msg.id)?.text }).toEqual({ i, stored: `msg ${i}` });
    expect(items).toHaveLength(N);
    // The observer on A saw every message exactly once, whichever instance accepted it.
    await until(() => observerA.events('chat:message').length >= N, {
      message: 'observer on A missed messages',
    });
    const seen = observerA.events('chat:message').map((x) => x.text);
    expect(new Set(seen).size).toBe(seen.length);

    // B took its viewers with it at once (not after the TTL): only A's sockets are online.
    expect(await released).toEqual({ withinMs: expect.any(Number) });
    expect((await presence(A, roomId)).onlineCount).toBe(2);
  }, 60_000);
});
