/**
 * A TCP proxy the fault-injection suites put between OnAir and PostgreSQL/Redis, so a test can
 * take a dependency away the way networks really fail:
 *
 *   const pg = await startTcpProxy('127.0.0.1', 5432);
 *   env.DATABASE_URL = `postgres://postgres@127.0.0.1:${pg.port}/<db>`;
 *   pg.cut();             // "down": open connections get a RST, new ones are reset at once
 *   pg.cut('blackhole');  // "hanging": connections are accepted, nothing is forwarded
 *   pg.delay(5000);       // "slow": every chunk, both ways, arrives 5 s late (order kept)
 *   pg.restore();         // healthy again (black-holed bytes are then delivered, like TCP after a partition heals)
 *   await pg.close();
 *
 * Node built-ins only; one pair of sockets per proxied connection; nothing is read from disk.
 */
import * as net from 'node:net';

export type CutMode = 'reset' | 'blackhole';
export type Direction = 'both' | 'toTarget' | 'toClient';

export interface TcpProxy {
  /** Port on 127.0.0.1 to connect to instead of the target. */
  readonly port: number;
  /** Take the link down: `reset` (default) = RST now and for every new connection; `blackhole` = accept but never forward. */
  cut(mode?: CutMode): void;
  /** Back to normal forwarding (delay back to 0). Data held by a black hole is delivered now. */
  restore(): void;
  /**
   * Forward everything `ms` late (0 = no delay). Order within a connection is kept. `direction`
   * picks the lane: `toTarget` (requests), `toClient` (replies: the target did the work, the
   * answer is late), or `both` (default).
   */
  delay(ms: number, direction?: Direction): void;
  /** Connections currently open through the proxy (client side). */
  connectionCount(): number;
  /** Connections accepted since start. */
  acceptedCount(): number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

type State = { kind: 'open' } | { kind: 'reset' } | { kind: 'blackhole' };

/** One direction of one proxied connection: keeps order whatever the delay, holds bytes while black-holed. */
class Lane {
  private held: Buffer[] = [];
  private releaseAt = 0;

  constructor(
    private readonly to: net.Socket,
    private readonly timers: Set<NodeJS.Timeout>,
  ) {}

  push(chunk: Buffer, state: State, delayMs: number): void {
    if (state.kind === 'blackhole' || this.held.length > 0) {
      this.held.push(chunk);
      if (state.kind !== 'blackhole') this.flush(delayMs);
      return;
    }
    this.send(chunk, delayMs);
  }

  flush(delayMs: number): void {
    const chunks = this.held;
    this.held = [];
    for (const c of chunks) this.send(c, delayMs);
  }

  private send(chunk: Buffer, delayMs: number): void {
    const now = Date.now();
    // Never release a chunk before the one in front of it, even when the delay was shortened.
    this.releaseAt = Math.max(this.releaseAt, now + delayMs);
    const wait = this.releaseAt - now;
    if (wait <= 0) {
      if (!this.to.destroyed) this.to.write(chunk);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.to.destroyed) this.to.write(chunk);
    }, wait);
    this.timers.add(timer);
  }
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  up: Lane;
  down: Lane;
  timers: Set<NodeJS.Timeout>;
}

function reset(s: net.Socket): void {
  if (s.destroyed) return;
  // resetAndDestroy sends a RST (what a crashed peer or a dropped route looks like) instead of a FIN.
  if (typeof s.resetAndDestroy === 'function' && !s.connecting) s.resetAndDestroy();
  else s.destroy();
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let state: State = { kind: 'open' };
  const delays = { toTarget: 0, toClient: 0 };
  let accepted = 0;
  const pairs = new Set<Pair>();

  const dropPair = (p: Pair) => {
    if (!pairs.delete(p)) return;
    for (const t of p.timers) clearTimeout(t);
    p.timers.clear();
  };

  const server = net.createServer({ noDelay: true }, (client) => {
    accepted++;
    client.on('error', () => undefined);
    if (state.kind === 'reset') {
      reset(client);
      return;
    }
    const upstream = net.connect({ host: targetHost, port: targetPort, noDelay: true });
    upstream.on('error', () => undefined);
    const timers = new Set<NodeJS.Timeout>();
    const pair: Pair = {
      client,
      upstream,
      up: new Lane(upstream, timers),
      down: new Lane(client, timers),
      timers,
    };
    pairs.add(pair);
    client.on('data', (c: Buffer) => pair.up.push(c, state, delays.toTarget));
    upstream.on('data', (c: Buffer) => pair.down.push(c, state, delays.toClient));
    // A close on one side closes the other, after any delayed bytes in flight (like a real FIN).
    const closeOther = (other: net.Socket) => () => {
      const wait = state.kind === 'blackhole' ? 0 : Math.max(delays.toTarget, delays.toClient);
      const t = setTimeout(() => {
        timers.delete(t);
        other.end();
        setTimeout(() => other.destroy(), 1000).unref();
        dropPair(pair);
      }, wait);
      timers.add(t);
    };
    client.on('close', closeOther(upstream));
    upstream.on('close', () => {
      // While black-holed the client must not learn that anything happened upstream.
      if (state.kind === 'blackhole') return;
      closeOther(client)();
    });
  });
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  return {
    port,
    cut(mode: CutMode = 'reset') {
      if (mode === 'reset') {
        state = { kind: 'reset' };
        for (const p of [...pairs]) {
          dropPair(p);
          reset(p.client);
          p.upstream.destroy();
        }
      } else {
        state = { kind: 'blackhole' };
      }
    },
    restore() {
      state = { kind: 'open' };
      delays.toTarget = 0;
      delays.toClient = 0;
      for (const p of pairs) {
        p.up.flush(0);
        p.down.flush(0);
        if (p.upstream.destroyed && !p.client.destroyed) p.client.end();
      }
    },
    delay(ms: number, direction: Direction = 'both') {
      const v = Math.max(0, ms);
      if (direction !== 'toClient') delays.toTarget = v;
      if (direction !== 'toTarget') delays.toClient = v;
    },
    connectionCount: () => [...pairs].filter((p) => !p.client.destroyed).length,
    acceptedCount: () => accepted,
    close() {
      for (const p of [...pairs]) {
        dropPair(p);
        p.client.destroy();
        p.upstream.destroy();
      }
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface TcpBalancer {
  readonly port: number;
  readonly url: string;
  /** Connections handed to each target so far (by target port). */
  counts(): Record<number, number>;
  close(): Promise<void>;
}

/**
 * A round-robin TCP load balancer for multi-instance tests, behaving like nginx with
 * `proxy_next_upstream error`: a target that refuses the connection, or closes it before
 * answering a single byte, is skipped and the bytes sent so far are replayed to the next one.
 * Once a target has answered, the connection stays with it (WebSockets included).
 */
export async function startTcpBalancer(
  targets: { host: string; port: number }[],
): Promise<TcpBalancer> {
  let next = 0;
  const counts: Record<number, number> = {};
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const pending: Buffer[] = [];
    let upstream: net.Socket | undefined;
    let upstreamConnected = false;
    let answered = false;
    let clientEnded = false;
    const onClientData = (c: Buffer) => {
      if (!answered) pending.push(c);
      // Before the target connects, the bytes wait in `pending` (written on connect, replayed on retry).
      if (upstream && upstreamConnected && !upstream.destroyed) upstream.write(c);
    };
    client.on('data', onClientData);
    client.on('end', () => {
      clientEnded = true;
      if (upstream && !upstream.destroyed) upstream.end();
    });
    // Each connection walks the targets from its own starting point, so a retry always goes to
    // the next target whatever other connections are doing.
    const start = next++;
    const attempt = (tries: number) => {
      if (tries >= targets.length * 2 || client.destroyed) {
        client.destroy();
        return;
      }
      const target = targets[(start + tries) % targets.length];
      const up = net.connect({ host: target.host, port: target.port, noDelay: true });
      upstream = up;
      upstreamConnected = false;
      sockets.add(up);
      up.on('error', () => undefined);
      up.once('connect', () => {
        upstreamConnected = true;
        counts[target.port] = (counts[target.port] ?? 0) + 1;
        for (const c of pending) up.write(c);
        if (clientEnded) up.end();
      });
      up.on('data', (c: Buffer) => {
        answered = true;
        pending.length = 0;
        client.write(c);
      });
      up.on('close', () => {
        sockets.delete(up);
        if (!answered && !client.destroyed) {
          attempt(tries + 1);
          return;
        }
        client.end();
      });
    };
    attempt(0);
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
