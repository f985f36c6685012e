import * as fs from 'node:fs';
import * as http from 'node:http';
import WebSocket from 'ws';
import { modeEnv, ModeEnv } from '../helpers/modes';
import { AppProcess, spawnApp } from '../helpers/process';
import { hasServices } from '../helpers/services';
import { connectChat, emitAck, SocketOutcome } from './support';

const ORIGIN = 'https://app.example.com';

/** One raw Engine.IO v4 WebSocket: what a hostile client can send, byte for byte. */
interface RawSocket {
  ws: WebSocket;
  received: string[];
  opened: Promise<boolean>;
  closed: Promise<number>;
  send(frame: string | Buffer): void;
  waitFor(pred: (m: string) => boolean, ms?: number): Promise<string | undefined>;
}

function rawSocket(base: string, opts: { origin?: string; localAddress?: string } = {}): RawSocket {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
    headers: opts.origin ? { origin: opts.origin } : {},
    localAddress: opts.localAddress,
  });
  const received: string[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (d: Buffer) => {
    const m = d.toString();
    received.push(m);
    if (m === '2') ws.send('3'); // answer pings so only our violations matter
    for (const w of waiters.splice(0)) w();
  });
  ws.on('error', () => undefined);
  const opened = new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('unexpected-response', (req: http.ClientRequest, res: http.IncomingMessage) => {
      // Refused at the handshake (an HTTP answer instead of the upgrade); with this listener ws leaves the cleanup to us.
      res.resume();
      req.destroy();
      resolve(false);
    });
    ws.once('error', () => resolve(false));
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return {
    ws,
    received,
    opened,
    closed,
    send: (frame) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame);
    },
    async waitFor(pred, ms = 1500) {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = received.find(pred);
        if (hit !== undefined || Date.now() > deadline || ws.readyState === WebSocket.CLOSED)
          return hit;
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
  };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * OWASP API4/API8 on the Socket.IO endpoint of a real process: protocol violations, oversized
 * frames, handshake floods and foreign origins are refused; the process and the other clients
 * carry on as if nothing happened.
 */
describe('Socket.IO abuse (real process)', () => {
  let m: ModeEnv;
  let app: AppProcess;
  let user: { token: string; id: string };
  let roomId: string;
  let bystander: SocketOutcome;

  beforeAll(async () => {
    m = await modeEnv(hasServices() ? 'clustered' : 'embedded', {
      CORS_ORIGINS: ORIGIN,
      THROTTLE_LIMIT: '100000',
      WS_MAX_PAYLOAD_BYTES: '16384',
      CHAT_RATE_LIMIT: '1000/1',
      WS_HANDSHAKE_LIMIT: '20/10',
    });
    app = await spawnApp(m.env);
    user = await app.http.user('sockabuse');
    roomId = (await app.http.post('/api/v1/rooms', { name: 'abuse room' }, user.token)).body.id;
    // A well-behaved client from another address, connected before any abuse.
    bystander = await connectChat(app.url, {
      auth: { token: user.token },
      localAddress: '127.0.0.2',
    } as never);
    expect(bystander.connected).toBe(true);
    expect(await emitAck(bystander.socket, 'room:join', { roomId })).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    bystander?.socket.close();
    await app?.stop('SIGKILL');
    await m?.cleanup();
  });

  /** The process is up and the bystander still chats normally (ack and broadcast, quickly). */
  async function unaffected(): Promise<void> {
    expect(app.proc.exitCode).toBeNull();
    expect((await app.http.get('/health/live')).status).toBe(200);
    const text = `still here ${Math.random()}`;
    const echoed = new Promise<string>((resolve) =>
      bystander.socket.once('chat:message', (msg: { text: string }) => resolve(msg.text)),
    );
    const started = performance.now();
    const ack = await emitAck(bystander.socket, 'chat:send', { roomId, text });
    expect(ack).toMatchObject({ ok: true });
    expect(await echoed).toBe(text);
    expect(performance.now() - started).toBeLessThan(1000);
  }

  async function history(): Promise<string[]> {
    return (
      (await app.http.get(`/api/v1/rooms/${roomId}/messages?limit=100`)).body.items as {
        text: string;
      }[]
    ).map((i) => i.text);
  }

  it('ignores events sent before CONNECT (nothing is stored, nothing answers as if connected)', async () => {
    const s = rawSocket(app.url);
    expect(await s.opened).toBe(true);
    expect(await s.waitFor((x) => x.startsWith('0{'))).toBeDefined();
    s.send(`42/chat,0["room:join",{"roomId":"${roomId}"}]`);
    s.send(`42/chat,1["chat:send",{"roomId":"${roomId}","text":"before connect"}]`);
    s.send(`42["chat:send",{"roomId":"${roomId}","text":"main namespace"}]`);
    const acked = await s.waitFor((x) => x.startsWith('43/chat,'), 800);
    expect(acked).toBeUndefined();
    s.ws.terminate();
    expect(await history()).not.toContain('before connect');
    await unaffected();
  });

  it('answers a CONNECT to an unknown namespace with an error packet and never connects it', async () => {
    const s = rawSocket(app.url);
    expect(await s.opened).toBe(true);
    await s.waitFor((x) => x.startsWith('0{'));
    s.send(`40/chat,{"token":"${user.token}"}`);
    expect(await s.waitFor((x) => x.startsWith('40/chat,'))).toBeDefined();
    for (const nsp of ['/admin', '/../../']) {
      s.send(`40${nsp},`);
      const refusal = await s.waitFor((x) => x.startsWith(`44${nsp},`), 1500);
      expect([nsp, refusal]).toEqual([nsp, `44${nsp},{"message":"Invalid namespace"}`]);
    }
    expect(s.received.filter((x) => /^40\/(admin|\.\.)/.test(x))).toEqual([]);
    s.ws.terminate();
    await unaffected();
  });

  it('survives a second CONNECT to the namespace it is already in', async () => {
    const s = rawSocket(app.url);
    expect(await s.opened).toBe(true);
    await s.waitFor((x) => x.startsWith('0{'));
    s.send(`40/chat,{"token":"${user.token}"}`);
    expect(await s.waitFor((x) => x.startsWith('40/chat,'))).toBeDefined();
    s.send(`40/chat,{"token":"${user.token}"}`);
    s.send('40');
    // A CONNECT for a namespace the client is already in is a protocol violation: the server
    // closes the connection (without a second answer) instead of carrying on in a bad state.
    const outcome = await Promise.race([
      s.closed.then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('still open after 3 s'), 3000)),
    ]);
    expect(outcome).toBe('closed');
    expect(s.received.filter((x) => x.startsWith('40'))).toHaveLength(1);
    s.ws.terminate();
    await unaffected();
  });

  it('closes on undecodable frames, ignores malformed events, and answers none of them', async () => {
    // What the server does with each frame, as a hostile client would observe it.
    const closes = 'closed=true answers=none';
    const ignored = 'closed=false answers=none';
    const garbage: [string | Buffer, string][] = [
      ['xyz', closes],
      ['', closes],
      ['4', closes],
      ['42', closes],
      ['42/chat', ignored],
      ['42/chat,', ignored],
      ['42/chat,[', closes],
      ['42/chat,{}', closes],
      ['42/chat,[]', closes],
      ['42/chat,[123]', ignored],
      ['42/chat,["chat:send"]', ignored],
      ['42/chat,["chat:send",null]', ignored],
      ['42/chat,["constructor",{}]', ignored],
      ['42/chat,["__proto__",{"x":1}]', ignored],
      ['43/chat,1[]', ignored],
      ['45-/chat,["x"]', closes],
      ['451-/chat,["chat:send",{"_placeholder":true,"num":0}]', ignored],
      // A well-formed event with an absurd ack id is still validated: an error ack, nothing stored.
      [
        '42/chat,99999999999999999999999["chat:send",{}]',
        'closed=false answers=43/chat,1e+23[{"ok":false,"error":{"code":"VALIDATION_FAILED",',
      ],
      [`42/chat,["${'e'.repeat(5000)}",{}]`, ignored],
      ['6', ignored],
      ['1', ignored],
      ['5', ignored],
      ['2probe', closes],
      ['0', ignored],
      ['\u0000\u0001\u0002', closes],
      [Buffer.from([0xff, 0xfe, 0x00, 0x01]), closes],
      ['\ud800', closes],
      [`42/chat,["chat:send",{"roomId":{"$gt":""},"text":"nosql"}]`, ignored],
      [`42/chat,["chat:send",${'['.repeat(3000)}${']'.repeat(3000)}]`, ignored],
      [`42/chat,["chat:send",${'{"a":'.repeat(1500)}1${'}'.repeat(1500)}]`, ignored],
    ];
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const [i, [frame, outcome]] of garbage.entries()) {
      // Each frame from its own address: the per-address handshake limit must not refuse any.
      const s = rawSocket(app.url, { localAddress: `127.0.1.${i + 1}` });
      const opened = await s.opened;
      const connected = opened && (await s.waitFor((x) => x.startsWith('0{'))) !== undefined;
      s.send(`40/chat,{"token":"${user.token}"}`);
      const joined = connected && (await s.waitFor((x) => x.startsWith('40/chat,'))) !== undefined;
      const before = s.received.length;
      s.send(frame);
      const closed = await Promise.race([
        s.closed.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 1000)),
      ]);
      const answers = s.received.slice(before).filter((x) => /^4[34]/.test(x));
      s.ws.terminate();
      const label = JSON.stringify(String(frame).slice(0, 40));
      // The error message's wording is not the point; its code is.
      const answered = answers.map((a) => a.replace(/"message":.*$/, '')).join('|') || 'none';
      outcomes.push(
        `${label}: opened=${opened} joined=${joined} closed=${closed} answers=${answered}`,
      );
      expected.push(`${label}: opened=true joined=true ${outcome}`);
    }
    expect(outcomes).toEqual(expected);
    expect(await history()).not.toContain('nosql');
    await unaffected();
  }, 120_000);

  it('drops a 1 MB frame (over WS_MAX_PAYLOAD_BYTES) and keeps its memory', async () => {
    const before = rssMb(app.proc.pid!);
    for (let i = 0; i < 10; i++) {
      const s = rawSocket(app.url);
      await s.opened;
      await s.waitFor((x) => x.startsWith('0{'));
      s.send(`40/chat,{"token":"${user.token}"}`);
      await s.waitFor((x) => x.startsWith('40/chat,'));
      s.send(`42/chat,["chat:send",{"roomId":"${roomId}","text":"${'a'.repeat(1024 * 1024)}"}]`);
      const code = await Promise.race([
        s.closed,
        new Promise<number>((r) => setTimeout(() => r(-1), 3000)),
      ]);
      s.ws.terminate();
      expect(code).not.toBe(-1);
    }
    // The same with socket.io-client: the server closes the transport.
    const big = await connectChat(app.url, { auth: { token: user.token } });
    const gone = new Promise<string>((resolve) =>
      big.socket.once('disconnect', (reason) => resolve(reason)),
    );
    big.socket.emit('chat:send', { roomId, text: 'b'.repeat(1024 * 1024) });
    expect(await gone).toMatch(/transport (close|error)/);
    big.socket.close();
    expect(rssMb(app.proc.pid!) - before).toBeLessThan(64);
    await unaffected();
  });

  it('refuses a foreign Origin at the handshake (WebSocket and polling) and accepts the allowed one', async () => {
    const evil = rawSocket(app.url, { origin: 'https://evil.example' });
    expect(await evil.opened).toBe(false);
    const good = rawSocket(app.url, { origin: ORIGIN });
    expect(await good.opened).toBe(true);
    good.ws.terminate();
    for (const origin of [
      'https://evil.example',
      'null',
      'https://app.example.com.evil.example',
      'http://app.example.com',
    ]) {
      const polling = await fetch(`${app.url}/socket.io/?EIO=4&transport=polling`, {
        headers: { origin },
      });
      expect({ origin, status: polling.status }).toEqual({ origin, status: 403 });
      expect(polling.headers.get('access-control-allow-origin')).toBeNull();
    }
    const viaClient = await connectChat(app.url, {
      extraHeaders: { origin: 'https://evil.example' },
    } as never);
    expect(viaClient.connected).toBe(false);
    viaClient.socket.close();
    await unaffected();
  });

  it('refuses most of 500 handshakes in one second from one client, while others connect and chat normally', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const handshake = () =>
      new Promise<number>((resolve) => {
        const req = http.get(`${app.url}/socket.io/?EIO=4&transport=polling`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(-1));
      });
    const started = Date.now();
    const statuses = await Promise.all(Array.from({ length: 500 }, handshake));
    agent.destroy();
    expect(Date.now() - started).toBeLessThan(5000);
    const accepted = statuses.filter((s) => s === 200).length;
    // A client opening sessions this fast is abusive: most must be refused (429/403/400), not all served.
    expect(accepted).toBeLessThan(250);
    expect(statuses.every((s) => s !== -1 && s < 500)).toBe(true);
    // Another client (another address) connects at once and chats.
    const other = await connectChat(app.url, {
      auth: { token: user.token },
      localAddress: '127.0.0.3',
    } as never);
    expect(other.connected).toBe(true);
    other.socket.close();
    await unaffected();
  }, 60_000);
});
