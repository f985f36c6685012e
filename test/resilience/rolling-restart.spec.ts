import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { io, Socket } from 'socket.io-client';
import { modeEnv, ModeEnv } from '../helpers/modes';
import { AppProcess, spawnApp } from '../helpers/process';
import { describeWithServices } from '../helpers/services';
import { startTcpBalancer, TcpBalancer } from '../helpers/tcp-proxy';
import { until } from '../helpers/wait';
import { isJsonLine } from './support';

const SOCKETS = 200;
const USERS = 20;
const ROOMS = 8;
const TTL_SEC = 3;
const SEND_EVERY_MS = 2500;

interface ChatClient {
  socket: Socket;
  userId: string;
  roomId: string;
  joined: boolean;
  /** clientMsgId → text, sent and not yet acknowledged. */
  pending: Map<string, string>;
  /** clientMsgId → message id, acknowledged by the server. */
  acked: Map<string, string>;
  timer?: NodeJS.Timeout;
}

/**
 * Plain HTTP/1.1 as a browser or a proxy's upstream pool does it: either a new connection per
 * request, or a kept-alive one. On a kept-alive connection the server may close it just as the
 * next request leaves (it never read it): like every HTTP client, that one is sent again on a
 * fresh connection (Node's documented `reusedSocket` pattern). Anything else is a failure.
 */
function request(
  base: string,
  method: string,
  path: string,
  token: string,
  body: unknown,
  agent: http.Agent | false,
  retried = false,
): Promise<number | string> {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      base + path,
      {
        method,
        agent,
        headers: {
          ...(agent === false ? { connection: 'close' } : {}),
          authorization: `Bearer ${token}`,
          ...(data
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }
            : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (err: NodeJS.ErrnoException) =>
          resolve(`response ${err.code ?? err.message}`),
        );
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && err.code === 'ECONNRESET' && !retried)
        resolve(request(base, method, path, token, body, agent, true));
      else resolve(`${err.code ?? err.message}`);
    });
    req.end(data);
  });
}

/**
 * Two real instances behind a load balancer, 200 sockets chatting and steady HTTP traffic. One
 * instance is stopped with SIGTERM, later another is killed with SIGKILL. What users would
 * notice is measured: failed requests, sockets left behind, acknowledged messages that vanished,
 * and viewers counted who are not there.
 */
describeWithServices('rolling restart under load', () => {
  let m: ModeEnv;
  let a: AppProcess;
  let b: AppProcess;
  let lb: TcpBalancer;
  const clients: ChatClient[] = [];
  const users: { id: string; token: string }[] = [];
  const rooms: string[] = [];
  let ownerToken = '';
  const httpStats = { ok: 0, failed: [] as string[] };
  let loadRunning = false;
  let loadDone: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    m = await modeEnv('clustered', {
      PRESENCE_TTL_SEC: String(TTL_SEC),
      CHAT_RATE_LIMIT: '1000/1',
      THROTTLE_LIMIT: '1000000',
      MAX_STREAMS_PER_USER: '10000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      LOGIN_THROTTLE_LIMIT: '1000',
    });
    [a, b] = await Promise.all([spawnApp(m.env), spawnApp(m.env)]);
    lb = await startTcpBalancer([
      { host: '127.0.0.1', port: a.port },
      { host: '127.0.0.1', port: b.port },
    ]);
    for (let i = 0; i < USERS; i++) users.push(await (i % 2 ? a : b).http.user(`roll${i}_`));
    ownerToken = users[0].token;
    for (let i = 0; i < ROOMS; i++)
      rooms.push((await a.http.post('/api/v1/rooms', { name: `room ${i}` }, ownerToken)).body.id);
  }, 120_000);

  afterAll(async () => {
    loadRunning = false;
    for (const c of clients) {
      clearInterval(c.timer);
      c.socket.close();
    }
    await lb?.close();
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await m?.cleanup();
  });

  function startClient(
    i: number,
    base: string,
    opts: { reconnect: boolean } = { reconnect: true },
  ): ChatClient {
    const user = users[i % USERS];
    const socket = io(`${base}/chat`, {
      transports: ['websocket'],
      auth: { token: user.token },
      reconnection: opts.reconnect,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
      forceNew: true,
    });
    const c: ChatClient = {
      socket,
      userId: user.id,
      roomId: rooms[i % ROOMS],
      joined: false,
      pending: new Map(),
      acked: new Map(),
    };
    const send = (clientMsgId: string, text: string) => {
      socket
        .timeout(5000)
        .emitWithAck('chat:send', { roomId: c.roomId, text, clientMsgId })
        .then((ack: { ok: boolean; message?: { id: string } }) => {
          if (ack.ok && ack.message) {
            c.acked.set(clientMsgId, ack.message.id);
            c.pending.delete(clientMsgId);
          }
        })
        .catch(() => undefined); // no ack (disconnected): still pending, re-sent after reconnecting
    };
    // What a real client does: join after every (re)connect, and try again while the join fails.
    const join = () => {
      socket
        .timeout(5000)
        .emitWithAck('room:join', { roomId: c.roomId })
        .then((ack: { ok: boolean }) => {
          c.joined = ack.ok;
          // After a reconnect: re-send what was never acknowledged, with the same clientMsgId.
          if (ack.ok) for (const [id, text] of c.pending) send(id, text);
          else if (socket.connected) setTimeout(join, 200);
        })
        .catch(() => {
          if (socket.connected) setTimeout(join, 200);
        });
    };
    socket.on('connect', join);
    socket.on('disconnect', (reason) => {
      c.joined = false;
      // The server said goodbye (server:shutdown, then disconnect): come back through the balancer.
      if (reason === 'io server disconnect' && opts.reconnect)
        setTimeout(() => socket.connect(), 50 + Math.random() * 250);
    });
    c.timer = setInterval(
      () => {
        if (!c.joined) return;
        const id = randomUUID();
        const text = `m ${i} ${id.slice(0, 8)}`;
        c.pending.set(id, text);
        send(id, text);
      },
      SEND_EVERY_MS + Math.random() * 500,
    );
    return c;
  }

  function startHttpLoad(base: string): void {
    loadRunning = true;
    const worker = async (w: number) => {
      // Half the workers keep their connection alive (like nginx's upstream keepalive), half do not.
      const agent = w % 2 === 0 ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
      for (let i = 0; loadRunning; i++) {
        const [method, path, body] =
          i % 3 === 0
            ? ['GET', `/api/v1/rooms/${rooms[i % ROOMS]}`, undefined]
            : i % 3 === 1
              ? ['GET', '/api/v1/streams?limit=5', undefined]
              : ['POST', '/api/v1/streams', { title: `load ${w}-${i}` }];
        const status = await request(base, method, path, ownerToken, body, agent);
        if (typeof status === 'number' && status >= 200 && status < 500) httpStats.ok++;
        else httpStats.failed.push(`${method} ${path} → ${status}`);
      }
      if (agent) agent.destroy();
    };
    loadDone = Promise.all([0, 1, 2, 3].map(worker)).then(() => undefined);
  }

  async function allMessageIds(roomId: string): Promise<Set<string>> {
    const ids = new Set<string>();
    let cursor: string | null = null;
    do {
      const r = await b.http.get(
        `/api/v1/rooms/${roomId}/messages?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(r.status).toBe(200);
      for (const item of r.body.items as { id: string }[]) ids.add(item.id);
      cursor = r.body.nextCursor as string | null;
    } while (cursor);
    return ids;
  }

  const expectedOnline = (roomId: string, set: ChatClient[]) =>
    new Set(set.filter((c) => c.roomId === roomId && c.socket.connected).map((c) => c.userId)).size;

  it('SIGTERM of one instance: no accepted HTTP request fails, every socket moves to the survivor, no acknowledged message is lost, no ghost viewers', async () => {
    for (let i = 0; i < SOCKETS; i++) clients.push(startClient(i, lb.url));
    await until(() => clients.every((c) => c.joined), {
      timeoutMs: 30_000,
      message: 'not every socket joined its room',
    });
    const spread = lb.counts();
    expect(spread[a.port]).toBeGreaterThan(SOCKETS / 4);
    expect(spread[b.port]).toBeGreaterThan(SOCKETS / 4);

    startHttpLoad(lb.url);
    await until(() => clients.reduce((n, c) => n + c.acked.size, 0) >= SOCKETS, {
      timeoutMs: 20_000,
      message: 'chat did not get going',
    });

    const stoppedAt = Date.now();
    a.proc.kill('SIGTERM');
    const code = await a.exited;
    expect({
      code,
      log:
        code === 0
          ? ''
          : a
              .output()
              .split('\n')
              .filter((l) => /"level":"(warn|error|fatal)"/.test(l))
              .slice(-8),
    }).toEqual({ code: 0, log: '' });
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);

    // Every socket is back, on the survivor.
    await until(() => clients.every((c) => c.joined), {
      timeoutMs: 30_000,
      message: 'not every socket came back',
    });
    await until(async () => (await b.http.get('/health')).body.websocketConnections === SOCKETS, {
      timeoutMs: 10_000,
      message: 'the survivor does not hold every socket',
    });

    // Keep chatting on the survivor for a while, then stop and let the last acks arrive.
    const ackedAtRestart = clients.reduce((n, c) => n + c.acked.size, 0);
    await until(() => clients.reduce((n, c) => n + c.acked.size, 0) >= ackedAtRestart + SOCKETS, {
      timeoutMs: 20_000,
      message: 'chat did not continue on the survivor',
    });
    loadRunning = false;
    await loadDone;
    for (const c of clients) clearInterval(c.timer);
    await until(() => clients.every((c) => c.pending.size === 0), {
      timeoutMs: 10_000,
      message: 'messages still unacknowledged',
    });

    expect(httpStats.failed).toEqual([]);
    expect(httpStats.ok).toBeGreaterThan(50);

    const missing: string[] = [];
    for (const roomId of rooms) {
      const inHistory = await allMessageIds(roomId);
      for (const c of clients.filter((x) => x.roomId === roomId))
        for (const id of c.acked.values()) if (!inHistory.has(id)) missing.push(id);
    }
    expect(clients.reduce((n, c) => n + c.acked.size, 0)).toBeGreaterThanOrEqual(SOCKETS * 2);
    expect(missing).toEqual([]);

    // After 2 × TTL nobody is counted who is not connected (the stopped instance's viewers are gone).
    // A fixed wait on purpose: the entries must have had time to expire, and the viewers still
    // connected must still be counted well past the TTL (their heartbeats keep them).
    await new Promise((r) => setTimeout(r, 2 * TTL_SEC * 1000));
    for (const roomId of rooms) {
      const p = await b.http.get(`/api/v1/rooms/${roomId}/presence`);
      expect({ roomId, online: p.body.onlineCount }).toEqual({
        roomId,
        online: expectedOnline(roomId, clients),
      });
    }
    const logLines = a
      .output()
      .split('\n')
      .filter((l) => l.trim());
    expect(logLines.filter((l) => !isJsonLine(l))).toEqual([]);
  }, 180_000);

  it('SIGKILL of one instance: its viewers expire within the TTL and nothing else breaks', async () => {
    const c = await spawnApp(m.env);
    try {
      const roomId = rooms[0];
      const before = (await b.http.get(`/api/v1/rooms/${roomId}/presence`)).body
        .onlineCount as number;
      // Ten viewers who are only on the instance about to die (fresh accounts, so each one counts).
      const doomed: Socket[] = [];
      for (let i = 0; i < 10; i++) {
        const u = await c.http.user(`doomed${i}_`);
        const s = io(`${c.url}/chat`, {
          transports: ['websocket'],
          auth: { token: u.token },
          reconnection: false,
          forceNew: true,
        });
        await new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('connect_error', reject);
        });
        expect(await s.timeout(3000).emitWithAck('room:join', { roomId })).toMatchObject({
          ok: true,
        });
        doomed.push(s);
      }
      await until(
        async () =>
          (await b.http.get(`/api/v1/rooms/${roomId}/presence`)).body.onlineCount === before + 10,
        { timeoutMs: 5000, message: 'the doomed viewers were never counted' },
      );

      c.proc.kill('SIGKILL');
      await c.exited;
      const killedAt = Date.now();
      await until(
        async () =>
          (await b.http.get(`/api/v1/rooms/${roomId}/presence`)).body.onlineCount === before,
        {
          timeoutMs: TTL_SEC * 1000 + 2500,
          message: "the killed instance's viewers were still counted after the TTL",
        },
      );
      expect(Date.now() - killedAt).toBeLessThan(TTL_SEC * 1000 + 2500);
      for (const s of doomed) s.close();

      // Nothing else broke: the survivor serves HTTP and its sockets still chat.
      expect((await b.http.get('/health/ready')).status).toBe(200);
      const speaker = clients.find((x) => x.roomId === roomId && x.socket.connected)!;
      const listener = clients.find(
        (x) => x.roomId === roomId && x.socket.connected && x !== speaker,
      )!;
      const heard = new Promise<string>((resolve) =>
        listener.socket.once('chat:message', (msg: { text: string }) => resolve(msg.text)),
      );
      expect(
        await speaker.socket
          .timeout(3000)
          .emitWithAck('chat:send', { roomId, text: 'after the crash' }),
      ).toMatchObject({ ok: true });
      expect(await heard).toBe('after the crash');
      expect(b.proc.exitCode).toBeNull();
    } finally {
      await c.stop('SIGKILL');
    }
  }, 120_000);
});
