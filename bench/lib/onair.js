'use strict';
// Starting the built OnAir app (dist/src/main.js) as a measured child process, its scratch
// PostgreSQL database and Redis key prefix, and the few API calls the scenarios need for setup.

const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { startProcess, waitReady } = require('./procs');
const { freePort } = require('./util');

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN_JS = process.env.ONAIR_MAIN_JS
  ? path.resolve(process.env.ONAIR_MAIN_JS)
  : path.join(ROOT, 'dist', 'src', 'main.js');

const SECRETS = {
  JWT_SECRET: 'bench-jwt-secret-5d1f0c7e9a2b4c6d8e0f1a3b5c7d9e1f',
  HOOK_SECRET: 'bench-hook-secret-3a5c7e9f1b3d5f7a9c1e3b5d7f9a1c3e',
  PLAY_URL_SECRET: 'bench-play-secret-8e6c4a2f0d8b6a4c2e0f8d6b4a2c0e8f',
};

const PG_ADMIN_URL =
  process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

/** A scratch PostgreSQL database onair_bench_<rand>; drop() removes it. */
async function createDatabase() {
  const { Client } = require('pg');
  const name = `onair_bench_${randomBytes(5).toString('hex')}`;
  const c = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await c.connect();
  const version = (await c.query('SHOW server_version')).rows[0].server_version;
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    version,
    async drop() {
      const c2 = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
      await c2.connect();
      await c2.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c2.end();
    },
  };
}

/** Redis version, and a cleanup that deletes every key under the run's prefix. */
async function redisInfo(prefix) {
  const Redis = require('ioredis');
  const r = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
  });
  await r.connect();
  const info = await r.info('server');
  await r.quit();
  const version = (/redis_version:(\S+)/.exec(info) || [])[1] || 'unknown';
  return {
    version,
    async cleanup() {
      const c = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3000 });
      let cursor = '0';
      do {
        const [next, keys] = await c.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await c.unlink(...keys);
      } while (cursor !== '0');
      await c.quit();
    },
  };
}

/**
 * Starts one OnAir instance. variant: { postgresUrl?, redisPrefix?, metricsOff?, heapProbe?,
 * profileDir?, env?, mainJs? (another build's dist/src/main.js) }. Logging stays at info with stdout written to a file: its cost is part of
 * what is measured.
 */
async function startOnAir({ name, tmpRoot, cpu, variant = {} }) {
  const mainJs = variant.mainJs ? path.resolve(variant.mainJs) : MAIN_JS;
  if (!fs.existsSync(mainJs))
    throw new Error(`${mainJs} is missing: run "npm run build" first (or set ONAIR_MAIN_JS)`);
  const port = await freePort();
  const dir = path.join(tmpRoot, name);
  fs.mkdirSync(dir, { recursive: true });
  const heapFile = path.join(dir, 'heap.json');
  const env = {
    PATH: process.env.PATH || '/usr/bin:/bin',
    HOME: process.env.HOME || '/tmp',
    // Lets a build outside the repository (ONAIR_MAIN_JS=/tmp/x/src/main.js) find the packages.
    NODE_PATH: path.join(ROOT, 'node_modules'),
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: 'info',
    // "A high limit": the config's maximum; a 60 s window at bench rates stays far below it.
    THROTTLE_LIMIT: '10000000',
    THROTTLE_TTL_SEC: '60',
    LOGIN_THROTTLE_LIMIT: '10000',
    MAX_STREAMS_PER_USER: '10000',
    CHAT_RATE_LIMIT: '10000/1',
    // New sessions per client IP: every bench client comes from 127.0.0.1.
    WS_HANDSHAKE_LIMIT: '100000/100000',
    JWT_EXPIRES_IN: '6h',
    ...SECRETS,
  };
  if (variant.postgresUrl) env.DATABASE_URL = variant.postgresUrl;
  if (variant.redisPrefix !== undefined) {
    env.REDIS_URL = REDIS_URL;
    env.REDIS_KEY_PREFIX = variant.redisPrefix;
  }
  if (variant.heapProbe) env.BENCH_HEAP_FILE = heapFile;
  Object.assign(env, variant.env || {});

  const nodeArgs = [];
  if (variant.heapProbe) nodeArgs.push('--expose-gc', '-r', path.join(__dirname, 'heap-probe.js'));
  if (variant.metricsOff) nodeArgs.push('-r', path.join(__dirname, 'metrics-off.js'));
  for (const f of variant.preload || []) nodeArgs.push('-r', f);
  if (variant.profileDir) {
    fs.mkdirSync(variant.profileDir, { recursive: true });
    nodeArgs.push(
      '--cpu-prof',
      '--cpu-prof-dir',
      variant.profileDir,
      '--cpu-prof-name',
      `${name}.cpuprofile`,
    );
  }
  const spawnedAt = Date.now();
  const proc = startProcess({
    name: `OnAir[${name}]`,
    cmd: process.execPath,
    args: [...nodeArgs, mainJs],
    env,
    cwd: ROOT,
    cpu,
    logFile: path.join(dir, 'stdout.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(
    proc,
    async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200,
  );
  const inst = {
    name,
    url,
    port,
    proc,
    dir,
    heapFile,
    api: api(url),
    bootMs: Date.now() - spawnedAt,
  };
  inst.heap = () => readHeap(inst);
  return inst;
}

/** Asks a process started with the heap probe ({name, heapFile, proc}) for a post-GC heap reading. */
async function readHeap(inst) {
  const pid = inst.proc.pid;
  const current = () => {
    try {
      const h = JSON.parse(fs.readFileSync(inst.heapFile, 'utf8'));
      return h.pid === pid ? h : null; // a file left by another process does not count
    } catch {
      return null;
    }
  };
  const before = current()?.seq ?? 0;
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 15000;
  for (;;) {
    const h = current();
    if (h && h.seq > before) return h;
    if (Date.now() > deadline)
      throw new Error(`${inst.name}: no heap reading (is it running with the heap probe?)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The setup calls the scenarios need, with errors that say which call failed and why. */
function api(base) {
  async function call(
    method,
    p,
    { body, token, headers = {}, form, expect, timeoutMs = 30000 } = {},
  ) {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload;
    if (form) payload = form;
    else if (body !== undefined) {
      h['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res;
    let text;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await fetch(base + p, {
          method,
          headers: h,
          body: payload,
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await res.text();
        break;
      } catch (err) {
        // A pooled keep-alive connection the server has just closed: nothing was processed,
        // try once more on a new connection.
        const reason = `${err.message}${err.cause ? ` (${err.cause.message || err.cause.code})` : ''}`;
        if (
          attempt === 1 &&
          err.name !== 'TimeoutError' &&
          /other side closed|ECONNRESET|socket hang up|UND_ERR_SOCKET/i.test(reason) &&
          !(payload instanceof FormData)
        )
          continue;
        const why =
          err && err.name === 'TimeoutError'
            ? `no answer within ${Math.round(timeoutMs / 1000)} s`
            : reason;
        throw new Error(`${method} ${p}: ${why}`);
      }
    }
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (expect && !expect.includes(res.status)) {
      const hint =
        res.status === 404 && /Cannot|not found/i.test(text)
          ? ' (route not implemented in this build?)'
          : '';
      throw new Error(`${method} ${p} → ${res.status}${hint}: ${text.slice(0, 300)}`);
    }
    return { status: res.status, body: json, text, headers: res.headers };
  }
  let n = 0;
  return {
    call,
    async user(prefix = 'bench') {
      for (;;) {
        const username = `${prefix}${process.pid}x${++n}${randomBytes(3).toString('hex')}`;
        const password = `pw-${randomBytes(8).toString('hex')}`;
        const r = await call('POST', '/api/v1/auth/register', {
          body: { username, password },
          expect: [201, 409],
        });
        // 409: a retried request had in fact gone through; take another name.
        if (r.status === 201) return { token: r.body.accessToken, id: r.body.user.id, username };
      }
    },
    async stream(token, title = 'Bench stream') {
      return (await call('POST', '/api/v1/streams', { token, body: { title }, expect: [201] }))
        .body;
    },
    async room(token, name = 'Bench room') {
      return (await call('POST', '/api/v1/rooms', { token, body: { name }, expect: [201] })).body;
    },
    async uploadVideo(token, file, title = 'Bench video') {
      const blob = await fs.openAsBlob(file, { type: 'video/mp4' });
      const fd = new FormData();
      fd.append('title', title);
      fd.append('file', blob, 'bench.mp4');
      // Generous: 60 s plus 10 s per 100 MiB (hashing and writing included).
      const timeoutMs = 60000 + (blob.size / (100 * 1024 * 1024)) * 10000;
      return (await call('POST', '/api/v1/videos', { token, form: fd, expect: [201], timeoutMs }))
        .body;
    },
  };
}

module.exports = { startOnAir, createDatabase, redisInfo, readHeap, MAIN_JS, ROOT, SECRETS };
