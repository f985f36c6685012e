'use strict';
// Runner side of the socket load generator: a pool of forked socket-worker processes (they
// inherit the runner's CPU pin), plus a single in-runner sender client.

const { fork } = require('node:child_process');
const path = require('node:path');
const { io } = require('socket.io-client');
const { LatencyHistogram, nowMs, sleep } = require('./util');

const WORKER = path.join(__dirname, 'socket-worker.js');
/** Clients per worker process: keeps each well under the open-files limit and its event loop responsive. */
const PER_WORKER = 5000;

class WorkerPool {
  constructor(n) {
    this.workers = [];
    this.seq = 0;
    for (let i = 0; i < n; i++) {
      const w = fork(WORKER, [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: ['--max-old-space-size=4096'],
      });
      const pending = new Map();
      w.on('message', (m) => {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(m.error));
      });
      w.on('exit', (code) => {
        for (const p of pending.values())
          p.reject(new Error(`socket worker exited (code ${code})`));
        pending.clear();
      });
      this.workers.push({ proc: w, pending });
    }
  }

  static forClients(n) {
    return new WorkerPool(Math.max(1, Math.ceil(n / PER_WORKER)));
  }

  call(i, cmd, args) {
    const w = this.workers[i];
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      w.pending.set(id, { resolve, reject });
      w.proc.send({ id, cmd, args });
    });
  }

  all(cmd, argsFor = () => ({})) {
    return Promise.all(this.workers.map((_, i) => this.call(i, cmd, argsFor(i))));
  }

  /** Connects `count` clients spread over the workers; each joins rooms[k % rooms.length]. */
  async connect({
    url,
    tokens,
    rooms,
    count,
    concurrency = 100,
    timeoutMs = 30000,
    light = false,
  }) {
    const n = this.workers.length;
    const share = (i) => Math.floor(count / n) + (i < count % n ? 1 : 0);
    let offset = 0;
    const offsets = this.workers.map((_, i) => {
      const o = offset;
      offset += share(i);
      return o;
    });
    const t0 = Date.now();
    const rs = await this.all('connect', (i) => ({
      url,
      tokens,
      rooms,
      count: share(i),
      concurrency: Math.max(1, Math.ceil(concurrency / n)),
      timeoutMs,
      offset: offsets[i],
      light,
    }));
    const errors = {};
    for (const r of rs)
      for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] || 0) + v;
    return {
      connected: rs.reduce((a, r) => a + r.connected, 0),
      failed: rs.reduce((a, r) => a + r.failed, 0),
      errors,
      ms: Date.now() - t0,
    };
  }

  async disconnect() {
    const rs = await this.all('disconnect');
    return rs.reduce((a, r) => a + r.disconnected, 0);
  }

  async record(on) {
    await this.all('record', () => ({ on }));
  }

  async reset() {
    await this.all('reset');
  }

  /** Merged delivery statistics of every worker. */
  async stats() {
    const rs = await this.all('stats');
    const hist = new LatencyHistogram();
    let firstAt = null;
    let lastAt = null;
    let cpuMicros = 0;
    for (const r of rs) {
      hist.merge(LatencyHistogram.fromSparse(r.hist));
      if (r.firstAt !== null) firstAt = firstAt === null ? r.firstAt : Math.min(firstAt, r.firstAt);
      if (r.lastAt !== null) lastAt = lastAt === null ? r.lastAt : Math.max(lastAt, r.lastAt);
      cpuMicros += r.cpu.user + r.cpu.system;
    }
    return {
      hist,
      firstAt,
      lastAt,
      cpuSeconds: cpuMicros / 1e6,
      sockets: rs.reduce((a, r) => a + r.sockets, 0),
    };
  }

  async close() {
    await Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise((resolve) => {
            if (w.proc.exitCode !== null) return resolve();
            w.proc.once('exit', resolve);
            this.call(i, 'exit').catch(() => undefined);
            setTimeout(() => {
              if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
            }, 5000).unref();
          }),
      ),
    );
  }
}

/**
 * Sender clients in the runner, each joined to the room. Messages carry the send time
 * ("b:<epoch ms>:<seq>") so members can measure delivery latency. Several senders because a
 * server may (OnAir does) limit events per connection: each sender stays under `perSenderMax`.
 */
async function connectSenders({ url, tokens, roomId, count, timeoutMs = 15000 }) {
  const sockets = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const token = tokens.length ? tokens[i % tokens.length] : undefined;
      const s = io(url, {
        auth: token ? { token } : {},
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        timeout: timeoutMs,
      });
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('sender: connect timeout')), timeoutMs);
        s.once('connect_error', (err) => {
          clearTimeout(t);
          reject(new Error(`sender: connect_error ${err && err.message}`));
        });
        s.once('connect', () => {
          s.emit('room:join', { roomId }, (ack) => {
            clearTimeout(t);
            if (ack && ack.ok) resolve(s);
            else reject(new Error(`sender: room:join refused ${JSON.stringify(ack)}`));
          });
        });
      });
    }),
  );
  let seq = 0;
  const send = (s) =>
    new Promise((resolve) => {
      const text = `b:${nowMs().toFixed(3)}:${++seq}`;
      s.timeout(10000).emit('chat:send', { roomId, text }, (err, ack) =>
        resolve(
          !err && ack && ack.ok
            ? null
            : err
              ? 'ack timeout'
              : JSON.stringify(ack && ack.error ? ack.error : ack),
        ),
      );
    });
  const tally = (errors, e) => {
    if (e) errors[e] = (errors[e] || 0) + 1;
  };
  return {
    count,
    /** `ratePerSec` messages per second in total, evenly spaced, round-robin over the senders. */
    async paced(ratePerSec, durationMs) {
      const interval = 1000 / ratePerSec;
      const t0 = nowMs();
      let sent = 0;
      const errors = {};
      const inflight = [];
      while (nowMs() - t0 < durationMs) {
        const due = t0 + sent * interval;
        const wait = due - nowMs();
        if (wait > 0) await sleep(wait);
        inflight.push(send(sockets[sent % sockets.length]).then((e) => tally(errors, e)));
        sent++;
      }
      await Promise.all(inflight);
      return { sent, refused: Object.values(errors).reduce((a, b) => a + b, 0), errors };
    },
    /**
     * Every sender at up to `perSenderRate` msg/s with at most `window` unacknowledged: the offered
     * load is count × perSenderRate, and a server that falls behind slows the senders down.
     */
    async flood(perSenderRate, window, durationMs) {
      const t0 = nowMs();
      let sent = 0;
      const errors = {};
      const interval = 1000 / perSenderRate;
      const lane = async (s, phase) => {
        let next = t0 + phase;
        const pending = new Set();
        while (nowMs() - t0 < durationMs) {
          const wait = next - nowMs();
          if (wait > 0) await sleep(wait);
          next += interval;
          if (pending.size >= window) await Promise.race(pending);
          sent++;
          const p = send(s).then((e) => {
            tally(errors, e);
            pending.delete(p);
          });
          pending.add(p);
        }
        await Promise.all(pending);
      };
      await Promise.all(sockets.map((s, i) => lane(s, (i / sockets.length) * interval)));
      return {
        sent,
        refused: Object.values(errors).reduce((a, b) => a + b, 0),
        errors,
        ms: nowMs() - t0,
      };
    },
    close: () => sockets.forEach((s) => s.disconnect()),
  };
}

module.exports = { WorkerPool, connectSenders, PER_WORKER };
