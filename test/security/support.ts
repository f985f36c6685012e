/** Shared pieces of the abuse suites: socket clients, signed tokens, admin login. */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import * as jwt from 'jsonwebtoken';
import { Writable } from 'node:stream';
import { io, ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/app-config';
import { Http, Http as HttpClient } from '../helpers/http';
import { Mode, TEST_SECRETS } from '../helpers/modes';
import { hasServices } from '../helpers/services';

export const ADMIN = { ADMIN_USERNAME: 'secadmin', ADMIN_PASSWORD: 'secadmin-password-1' };

/** Clustered when PostgreSQL and Redis are there (the production shape), embedded otherwise. */
export const securityMode: Mode = hasServices() ? 'clustered' : 'embedded';

export async function adminToken(http: Http): Promise<string> {
  const r = await http.post('/api/v1/auth/login', {
    username: ADMIN.ADMIN_USERNAME,
    password: ADMIN.ADMIN_PASSWORD,
  });
  if (r.status !== 200) throw new Error(`admin login failed: ${r.status} ${r.text}`);
  return r.body.accessToken as string;
}

/** A token signed the way OnAir signs, with overrides (to forge the bad ones). */
export function signToken(
  claims: Record<string, unknown>,
  opts: jwt.SignOptions = {},
  secret: string = TEST_SECRETS.JWT_SECRET,
): string {
  return jwt.sign(claims, secret, {
    algorithm: 'HS256',
    issuer: 'onair',
    audience: 'onair-api',
    ...('exp' in claims ? {} : { expiresIn: 600 }),
    ...opts,
  });
}

/** Every way a token can be wrong, for the same user id (valid ones are 401 only if broken). */
export function forgedTokens(userId: string, good: string): Record<string, string> {
  const [h, p, sig] = good.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return {
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
    'alg none with signature': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.${sig}`,
    'HS512 with the same secret': jwt.sign({ sub: userId, role: 'user' }, TEST_SECRETS.JWT_SECRET, {
      algorithm: 'HS512',
      issuer: 'onair',
      audience: 'onair-api',
      expiresIn: 600,
    }),
    'tampered payload (role admin)': `${h}.${b64({ ...payload, role: 'admin' })}.${sig}`,
    'tampered payload (other sub)': `${h}.${b64({ ...payload, sub: '00000000-0000-4000-8000-000000000001' })}.${sig}`,
    'another secret': signToken(
      { sub: userId, role: 'user' },
      {},
      'another-secret-another-secret-123',
    ),
    expired: signToken({ sub: userId, role: 'user', exp: Math.floor(Date.now() / 1000) - 120 }),
    'no exp': jwt.sign({ sub: userId, role: 'user' }, TEST_SECRETS.JWT_SECRET, {
      algorithm: 'HS256',
      issuer: 'onair',
      audience: 'onair-api',
    }),
    'exp beyond JWT_EXPIRES_IN from iat': signToken(
      { sub: userId, role: 'user' },
      { expiresIn: 10 * 365 * 24 * 3600 },
    ),
    'nbf in the future': signToken({ sub: userId, role: 'user' }, { notBefore: 3600 }),
    'wrong iss': signToken({ sub: userId, role: 'user' }, { issuer: 'evil' }),
    'wrong aud': signToken({ sub: userId, role: 'user' }, { audience: 'other' }),
    'no iss/aud': jwt.sign({ sub: userId, role: 'user' }, TEST_SECRETS.JWT_SECRET, {
      algorithm: 'HS256',
      expiresIn: 600,
    }),
    'sub not a uuid': signToken({ sub: "' OR 1=1 --", role: 'admin' }),
    garbage: 'not.a.token',
    empty: '',
    // Big but within Node's 16 KiB header limit and the socket frame limit (bigger is refused earlier, see the payload suite).
    'huge token': 'a'.repeat(8000),
  };
}

export interface SocketOutcome {
  socket: Socket;
  connected: boolean;
  error?: { message: string; data?: unknown };
}

/** Opens a /chat socket (websocket transport, no reconnection) and reports connect vs connect_error. */
export function connectChat(
  base: string,
  opts: Partial<ManagerOptions & SocketOptions> = {},
  timeoutMs = 5000,
): Promise<SocketOutcome> {
  const socket = io(`${base}/chat`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
    ...opts,
  });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: Omit<SocketOutcome, 'socket'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ socket, ...o });
    };
    const timer = setTimeout(
      () => settle({ connected: false, error: { message: 'timeout' } }),
      timeoutMs + 500,
    );
    socket.once('connect', () => settle({ connected: true }));
    socket.once('connect_error', (err: Error & { data?: unknown }) =>
      settle({ connected: false, error: { message: err.message, data: err.data } }),
    );
    // The server may also just drop the transport (e.g. an oversized frame): that is a refusal too.
    // (A refused CONNECT closes the manager first, so give connect_error its turn.)
    socket.io.once('close', (reason: string) =>
      setTimeout(() => settle({ connected: false, error: { message: `closed: ${reason}` } }), 20),
    );
  });
}

/** Emits with an ack and a deadline (an unanswered event is a failure, not a hang). */
export function emitAck<T = any>(
  socket: Socket,
  event: string,
  payload: unknown,
  timeoutMs = 3000,
): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}

/** Resolves with the disconnect reason, or 'still connected' after `ms`. */
export function disconnectedWithin(socket: Socket, ms: number): Promise<string> {
  if (!socket.connected) return Promise.resolve('already disconnected');
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still connected'), ms);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

export interface RouteEntry {
  method: string;
  url: string;
}

/** Boots the app in-process with exactly this environment (e.g. a second instance of the same cluster), recording Fastify's route table. */
export async function startWithEnv(env: Record<string, string>): Promise<{
  app: NestFastifyApplication;
  url: string;
  http: Http;
  routes: RouteEntry[];
  logs(): string[];
  close(): Promise<void>;
}> {
  const config = loadConfig(env);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const { app } = await createApp(config, sink);
  const routes: RouteEntry[] = [];
  // Routes are registered when the app initialises (inside listen), so this sees all of them.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (r) => {
      for (const m of Array.isArray(r.method) ? r.method : [r.method])
        routes.push({ method: String(m), url: r.url ?? '' });
    });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    app,
    url,
    http: new HttpClient(url),
    routes,
    logs: () => lines,
    close: () => app.close(),
  };
}

/** A few bytes that pass as an MP4 (ftyp box first), for upload tests. */
export function tinyMp4(extra = 2048): Buffer {
  const ftyp = Buffer.from([
    0,
    0,
    0,
    0x18,
    ...Buffer.from('ftypisom'),
    0,
    0,
    2,
    0,
    ...Buffer.from('isomiso2'),
  ]);
  return Buffer.concat([ftyp, Buffer.alloc(extra, 7)]);
}

/** Uploads a tiny video as `token`'s user; returns its id. */
export async function uploadVideo(
  base: string,
  token: string,
  title = 'clip',
  fields: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const form = new FormData();
  form.append('title', title);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([tinyMp4()], { type: 'video/mp4' }), 'clip.mp4');
  const res = await fetch(`${base}/api/v1/videos`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}
