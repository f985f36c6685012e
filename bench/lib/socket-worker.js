'use strict';
// A load-generator process holding many Socket.IO clients (socket.io-client, WebSocket
// transport, one connection each). The runner forks several of these and drives them over IPC:
// connect+join, record chat:message delivery latency, report, disconnect.
// Latency is measured from the sender's timestamp embedded in the text ("b:<epoch ms>:<seq>").

const { io } = require('socket.io-client');
const WebSocket = require('ws');
const { nowMs, LatencyHistogram } = require('./util');

const sockets = [];
let hist = new LatencyHistogram();
let recording = false;
let firstAt = null;
let lastAt = null;

function onMessage(msg) {
  if (!recording) return;
  const t = nowMs();
  const text = msg && typeof msg.text === 'string' ? msg.text : '';
  if (text.charCodeAt(0) !== 98 /* b */) return;
  const sentAt = Number(text.slice(2, text.indexOf(':', 2)));
  hist.record(t - sentAt);
  if (firstAt === null) firstAt = t;
  lastAt = t;
}

/**
 * Source address for client number g: 127.0.0.2 … 127.0.0.251 in turn. Every address has its own
 * ephemeral-port range towards the server, so tens of thousands of connections per minute do not
 * run the single 127.0.0.1 range into TIME_WAIT (connects then slow down badly). Loopback only.
 */
function localAddressFor(url, g) {
  if (process.env.BENCH_NO_LOCALADDR || !/^https?:\/\/127\.0\.0\.1[:/]/.test(url)) return undefined;
  return `127.0.0.${2 + (g % 250)}`;
}

function connectOne({ url, token, roomId, timeoutMs, localAddress }) {
  return new Promise((resolve) => {
    const s = io(url, {
      localAddress,
      auth: token ? { token } : {},
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
    });
    let settled = false;
    const done = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(err ? { ok: false, error: err } : { ok: true, socket: s });
    };
    const timer = setTimeout(() => {
      s.close();
      done('timeout');
    }, timeoutMs);
    s.on('chat:message', onMessage);
    s.once('connect_error', (err) => {
      s.close();
      done(`connect_error: ${err && err.message}`);
    });
    s.once('connect', () => {
      if (!roomId) return done(null);
      s.emit('room:join', { roomId }, (ack) => {
        if (ack && ack.ok) return done(null);
        s.close();
        done(`room:join refused: ${JSON.stringify(ack)}`);
      });
    });
  });
}

/**
 * A receive-only member speaking the Socket.IO v5 / Engine.IO v4 wire protocol directly over
 * `ws`: it connects to the namespace with its token, joins with an ack, answers pings, and for
 * each chat:message frame reads only the send timestamp out of the text, without JSON-parsing
 * the frame. socket.io-client decodes every frame into objects and emits events, which on one
 * load-generator core is as expensive as the server's fan-out; with these members the
 * measurement is of the server. (Senders and the idle sockets of P4 stay socket.io-client.)
 */
function connectLight({ url, token, roomId, timeoutMs, localAddress }) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const nsp = u.pathname && u.pathname !== '/' ? u.pathname : '/';
    const ws = new WebSocket(`ws://${u.host}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
      localAddress,
    });
    let settled = false;
    const done = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) ws.terminate();
      resolve(
        err ? { ok: false, error: err } : { ok: true, socket: { disconnect: () => ws.close() } },
      );
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    const prefix = nsp === '/' ? '' : `${nsp},`;
    const msgHead = `42${prefix}["chat:message"`;
    ws.on('error', (err) => done(`ws error: ${err.message}`));
    ws.on('close', () => done('closed before joining'));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const f = data.toString();
      if (f === '2') return ws.send('3');
      if (f.startsWith(msgHead)) {
        if (!recording) return;
        const t = nowMs();
        const i = f.indexOf('"text":"b:');
        if (i < 0) return;
        const start = i + 10;
        hist.record(t - Number(f.slice(start, f.indexOf(':', start))));
        if (firstAt === null) firstAt = t;
        lastAt = t;
        return;
      }
      if (f.charCodeAt(0) === 48 /* 0: engine open */)
        return ws.send(`40${prefix}${JSON.stringify(token ? { token } : {})}`);
      if (f.startsWith(`40${prefix}`))
        return ws.send(`42${prefix}1${JSON.stringify(['room:join', { roomId }])}`);
      if (f.startsWith(`44${prefix}`)) return done(`connect_error: ${f.slice(2 + prefix.length)}`);
      if (f.startsWith(`43${prefix}1`))
        return f.includes('"ok":true') ? done(null) : done(`room:join refused: ${f.slice(0, 200)}`);
    });
  });
}

async function connect({
  url,
  tokens,
  rooms,
  count,
  concurrency = 100,
  timeoutMs = 30000,
  offset = 0,
  light = false,
}) {
  const t0 = Date.now();
  let next = 0;
  let ok = 0;
  const errors = {};
  async function lane() {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const g = offset + i;
      const r = await (light ? connectLight : connectOne)({
        url,
        token: tokens.length ? tokens[g % tokens.length] : undefined,
        roomId: rooms.length ? rooms[g % rooms.length] : undefined,
        timeoutMs,
        localAddress: localAddressFor(url, g),
      });
      if (r.ok) {
        sockets.push(r.socket);
        ok++;
      } else {
        errors[r.error] = (errors[r.error] || 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { connected: ok, failed: count - ok, errors, ms: Date.now() - t0 };
}

async function disconnect() {
  const n = sockets.length;
  for (const s of sockets.splice(0)) s.disconnect();
  return { disconnected: n };
}

const handlers = {
  connect,
  disconnect,
  record: async ({ on }) => {
    recording = !!on;
    return { recording };
  },
  reset: async () => {
    hist = new LatencyHistogram();
    firstAt = null;
    lastAt = null;
    return {};
  },
  stats: async () => ({
    hist: hist.toSparse(),
    firstAt,
    lastAt,
    sockets: sockets.length,
    cpu: process.cpuUsage(),
    rss: process.memoryUsage().rss,
  }),
  exit: async () => {
    await disconnect();
    setTimeout(() => process.exit(0), 50);
    return {};
  },
};

process.on('message', async (m) => {
  const h = handlers[m.cmd];
  try {
    if (!h) throw new Error(`unknown command ${m.cmd}`);
    process.send({ id: m.id, ok: true, result: await h(m.args || {}) });
  } catch (err) {
    process.send({ id: m.id, ok: false, error: err && err.message ? err.message : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
