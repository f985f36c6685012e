#!/usr/bin/env node
'use strict';
// OnAir benchmark runner. See bench/README.md.
//
//   npm run bench                       full run (3 runs per scenario, N = 20k sockets)
//   npm run bench -- --quick            < 3 minutes (N = 5k sockets, short runs)
//   npm run bench -- --quick --smoke    CI smoke: tiny sizes, 1 run each, verdicts informational
//   options: --only P1,P5   --profile (CPU profiles of the OnAir processes)   --keep (keep tmp)
//            --no-pin       --stock-rate (autocannon's own per-second overallRate pacing)
//            --strict (exit 1 when a target is missed)   --out <dir>
//            --runs N  --sec S (repetitions and seconds per measured run, instead of the mode's)
//            --file-mib N (P6's file size)
//            --ab-together (A/B rows: load both instances at the same time, see bench/README.md)
//            --experiment a,b (preload bench/experiments/<a>.js into every OnAir process)
//            --ab a,env:LOG_LEVEL=warn,build:/tmp/x/dist/src/main.js (also measure the embedded
//                 instance with that experiment, environment or other build, interleaved with the
//                 as-built one: before/after in one run)
//
// It starts every server it measures, pins servers and load generator to different CPUs when it
// can, warms up, runs each scenario several times with the peers interleaved in the same run, and
// writes bench/results/latest.{json,md} (smoke: smoke.{json,md}).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');

const { planPinning, startProcess, waitReady, stopAll, killAllSync } = require('./lib/procs');
const { load } = require('./lib/http-load');
const { rangeLoad } = require('./lib/range-load');
const { WorkerPool, connectSenders } = require('./lib/sockets');
const {
  startOnAir,
  createDatabase,
  redisInfo,
  readHeap,
  MAIN_JS,
  ROOT,
  SECRETS,
} = require('./lib/onair');
const { findNginx, nginxVersion, startAccelProxy, startNginx } = require('./peers/nginx');
const { judge, consoleTable, markdown } = require('./lib/report');
const profileSummary = require('./lib/profile-summary');
const {
  sleep,
  until,
  freePort,
  median,
  percentile,
  nowMs,
  fmtNum,
  procRss,
  procCpuSeconds,
} = require('./lib/util');

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const a = {
    quick: false,
    smoke: false,
    only: null,
    profile: false,
    keep: false,
    pin: true,
    stockRate: false,
    strict: false,
    experiments: [],
    ab: [],
    out: path.join(__dirname, 'results'),
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--quick') a.quick = true;
    else if (v === '--smoke') a.smoke = true;
    else if (v === '--profile') a.profile = true;
    else if (v === '--keep') a.keep = true;
    else if (v === '--no-pin') a.pin = false;
    else if (v === '--stock-rate') a.stockRate = true;
    else if (v === '--strict') a.strict = true;
    else if (v === '--only')
      a.only = new Set(
        String(argv[++i] || '')
          .toUpperCase()
          .split(',')
          .filter(Boolean),
      );
    else if (v.startsWith('--only='))
      a.only = new Set(v.slice(7).toUpperCase().split(',').filter(Boolean));
    else if (v === '--out') a.out = path.resolve(argv[++i]);
    else if (v === '--runs') a.runs = Number(argv[++i]);
    else if (v === '--ab-together') a.abTogether = true;
    else if (v === '--file-mib') a.fileMib = Number(argv[++i]);
    else if (v === '--sec') a.sec = Number(argv[++i]);
    else if (v === '--experiment')
      a.experiments.push(
        ...String(argv[++i] || '')
          .split(',')
          .filter(Boolean),
      );
    else if (v === '--ab')
      a.ab.push(
        ...String(argv[++i] || '')
          .split(',')
          .filter(Boolean),
      );
    else if (v === '--help' || v === '-h') {
      process.stdout.write(
        fs
          .readFileSync(__filename, 'utf8')
          .split('\n')
          .slice(2, 18)
          .map((l) => l.replace(/^\/\/ ?/, ''))
          .join('\n') + '\n',
      );
      process.exit(0);
    } else {
      process.stderr.write(`unknown option ${v} (see --help)\n`);
      process.exit(2);
    }
  }
  return a;
}

const ARGS = parseArgs(process.argv.slice(2));
const MODE = ARGS.smoke ? 'smoke' : ARGS.quick ? 'quick' : 'full';
const MiB = 1024 * 1024;
const PROFILES = {
  // runs: repetitions per scenario; sec: one measured run; warm: warm-up per target.
  full: {
    runs: 3,
    sec: 10,
    warm: 5,
    sockets: 20000,
    members: 1000,
    fileBytes: 1024 * MiB,
    p5Sec: 10,
    burst: 1000,
    burstLimit: 250,
  },
  // quick: P6 uses a 256 MiB file (writing and uploading 1 GiB alone takes ~15 s of the budget);
  // reads are served from the page cache either way.
  quick: {
    runs: 3,
    sec: 1.5,
    warm: 0.5,
    sockets: 5000,
    members: 1000,
    fileBytes: 256 * MiB,
    p5Sec: 1.5,
    burst: 1000,
    burstLimit: 250,
  },
  smoke: {
    runs: 1,
    sec: 1,
    warm: 0.5,
    sockets: 200,
    members: 200,
    fileBytes: 64 * MiB,
    p5Sec: 1,
    burst: 1000,
    burstLimit: 250,
  },
};
const C = {
  ...PROFILES[MODE],
  // --runs / --sec: more or longer runs for an A/B on a busy machine (the profile otherwise).
  ...(ARGS.runs > 0 ? { runs: ARGS.runs } : {}),
  ...(ARGS.sec > 0 ? { sec: ARGS.sec } : {}),
  ...(ARGS.fileMib > 0 ? { fileBytes: ARGS.fileMib * 1024 * 1024 } : {}),
  httpConnections: 50,
  rangeConnections: 8,
  hookRate: 500,
  hookConnections: 50,
  rooms: 10,
  senders: 20,
  senderRate: 8,
  senderWindow: 4,
  scrapeEveryMs: 200,
};
const INFORMATIONAL = MODE === 'smoke';
const want = (id) => !ARGS.only || ARGS.only.has(id);

// ---------------------------------------------------------------- rows

const T = {
  ratio: (value, peerShort) => ({ type: 'ratio≥', value, peerShort }),
  max: (value, unit, digits) => ({ type: '≤', value, unit, digits }),
  band: (lo, hi) => ({ type: 'band', lo, hi }),
  eq: (value, label, ratioBasis) => ({ type: '=', value, label, ratioBasis }),
  info: (peerShort) => ({ type: 'info', peerShort }),
  abovePeer: (value, unit, peerShort) => ({ type: '≤peer+', value, unit, peerShort }),
};

const ROWS = [
  {
    id: 'P1a',
    scenario: 'P1',
    title: 'GET /streams/:id, embedded — max throughput',
    unit: 'req/s',
    peerName: 'raw Fastify',
    target: T.ratio(0.5, 'raw Fastify'),
  },
  {
    id: 'P1b',
    scenario: 'P1',
    title: 'GET /streams/:id, embedded — p99 at 50% of max',
    unit: 'ms',
    digits: 2,
    target: T.max(25, 'ms'),
  },
  {
    id: 'P1c',
    scenario: 'P1',
    title: 'GET /streams/:id, clustered — max throughput',
    unit: 'req/s',
    peerName: 'raw Fastify',
    target: T.ratio(0.5, 'raw Fastify'),
  },
  {
    id: 'P1d',
    scenario: 'P1',
    title: 'GET /streams/:id, clustered — p99 at 50% of max',
    unit: 'ms',
    digits: 2,
    target: T.max(25, 'ms'),
  },
  {
    id: 'P1e',
    scenario: 'P1',
    title: 'context: bare NestJS on Fastify, same JSON — max throughput',
    unit: 'req/s',
    peerName: 'raw Fastify',
    target: T.info('raw Fastify'),
  },
  {
    id: 'P2a',
    scenario: 'P2',
    title: 'nginx-rtmp publish+play hooks, clustered — p99 at 500 req/s',
    unit: 'ms',
    digits: 2,
    target: T.max(10, 'ms'),
  },
  {
    id: 'P2b',
    scenario: 'P2',
    title: 'nginx-rtmp hooks at 500 req/s — errors',
    unit: 'errors',
    target: T.eq(0, '0 errors', 'errors'),
  },
  {
    id: 'P3a',
    scenario: 'P3',
    title: 'metrics on ÷ off, same route — max throughput',
    unit: 'req/s',
    peerName: 'metrics off',
    target: T.ratio(0.97, 'metrics off'),
  },
  {
    id: 'P3b',
    scenario: 'P3',
    title: 'GET /metrics p99 while loaded (50% of max)',
    unit: 'ms',
    digits: 2,
    target: T.max(20, 'ms'),
  },
  {
    id: 'P4a',
    scenario: 'P4',
    title: 'idle authenticated sockets in rooms — heap per socket',
    unit: 'B/socket',
    peerName: 'bare Socket.IO',
    target: T.abovePeer(3072, 'B', 'bare Socket.IO'),
  },
  {
    id: 'P4b',
    scenario: 'P4',
    title: 'heap after all disconnect ÷ baseline',
    unit: '×',
    digits: 3,
    peerName: 'bare Socket.IO',
    target: T.band(0.9, 1.1),
  },
  {
    id: 'P5a',
    scenario: 'P5',
    title: 'room broadcast, 10 msg/s — delivery p99',
    unit: 'ms',
    digits: 2,
    peerName: 'bare Socket.IO',
    target: T.max(100, 'ms'),
  },
  {
    id: 'P5b',
    scenario: 'P5',
    title: 'room broadcast — max deliveries/s',
    unit: 'deliv/s',
    peerName: 'bare Socket.IO',
    target: T.ratio(0.8, 'bare Socket.IO'),
  },
  {
    id: 'P5c',
    scenario: 'P5',
    title: 'room broadcast — delivery p99 at max rate',
    unit: 'ms',
    digits: 1,
    peerName: 'bare Socket.IO',
    target: T.info('bare Socket.IO'),
  },
  {
    id: 'P6',
    scenario: 'P6',
    title: `Range GETs, 1 MiB chunks of a ${C.fileBytes / MiB} MiB file`,
    unit: 'MiB/s',
    peerName: 'nginx static',
    target: T.ratio(0.5, 'nginx'),
  },
  {
    id: 'P6x',
    scenario: 'P6',
    title: `Range GETs through nginx with X-Accel-Redirect (OnAir decides, nginx sends)`,
    unit: 'MiB/s',
    peerName: 'nginx static',
    target: T.ratio(0.5, 'nginx'),
  },
  {
    id: 'P7a',
    scenario: 'P7',
    title: 'throttler Redis ÷ in-memory — max throughput',
    unit: 'req/s',
    peerName: 'in-memory',
    target: T.ratio(0.85, 'in-memory'),
  },
  {
    id: 'P7b',
    scenario: 'P7',
    title: '1,000-request burst through the Redis throttler — allowed',
    unit: 'allowed',
    target: T.eq(C.burstLimit, `limit (${C.burstLimit})`),
  },
  {
    id: 'P8a',
    scenario: 'P8',
    title: 'HLS check GET /api/v1/hooks/hls, clustered — max throughput',
    unit: 'req/s',
    peerName: 'raw Fastify + HMAC',
    target: T.ratio(0.5, 'raw Fastify'),
  },
  {
    id: 'P8b',
    scenario: 'P8',
    title: 'HLS check, clustered — p99 at 50% of max',
    unit: 'ms',
    digits: 2,
    target: T.max(5, 'ms'),
  },
  {
    id: 'P9a',
    scenario: 'P9',
    title: 'POST /rooms/:id/heartbeat, clustered — max throughput',
    unit: 'req/s',
    peerName: 'raw Fastify + ioredis ZADD',
    target: T.ratio(0.5, 'raw Fastify'),
  },
  {
    id: 'P9b',
    scenario: 'P9',
    title: 'POST /rooms/:id/heartbeat, clustered — p99 at 50% of max',
    unit: 'ms',
    digits: 2,
    target: T.max(10, 'ms'),
  },
  {
    id: 'P9c',
    scenario: 'P9',
    title: 'socket presence:heartbeat, clustered — ack p99 at a steady rate',
    unit: 'ms',
    digits: 2,
    target: T.max(10, 'ms'),
  },
].map((r) => ({ ...r, subject: null, peer: null, notes: [], error: null }));
for (const r of ROWS) if (!want(r.scenario)) r.skipped = true;
// Before/after rows for --ab: each experiment's embedded instance ÷ the as-built one.
ARGS.ab.forEach((name, i) =>
  ROWS.push({
    id: `AB${i + 1}`,
    scenario: 'AB',
    title: `experiment ${name} — GET /streams/:id max throughput`,
    unit: 'req/s',
    peerName: ARGS.experiments.length ? 'baseline' : 'as built',
    target: T.info(ARGS.experiments.length ? 'baseline' : 'as built'),
    subject: null,
    peer: null,
    notes: [],
    error: null,
  }),
);
const row = (id) => ROWS.find((r) => r.id === id);
const note = (id, text) => row(id).notes.push(text);
const details = [];

// ---------------------------------------------------------------- environment

const runId = randomBytes(4).toString('hex');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), `onair-bench-${runId}-`));
const PIN = planPinning(ARGS.pin);
const cleanups = [];
/** Set when a server died mid-run, so its logs in the temporary directory are kept. */
const KEEP_FOR_DIAGNOSIS = { value: false };
const t0 = Date.now();

function log(msg) {
  process.stdout.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

function fileLimit() {
  try {
    const m = /Max open files\s+(\d+)\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function machine(extra) {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    const head = fs.readFileSync(path.join(ROOT, '.git', 'HEAD'), 'utf8').trim();
    commit = head.startsWith('ref: ')
      ? fs.readFileSync(path.join(ROOT, '.git', head.slice(5)), 'utf8').trim()
      : head;
  } catch {
    /* not a checkout */
  }
  return {
    host: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: `${cpus[0] ? cpus[0].model.trim() : 'unknown'} × ${cpus.length}`,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    'open files limit': String(fileLimit() ?? 'unknown'),
    pinning: PIN.reason,
    'load average at start': os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    'commit (HEAD of the checkout; the build may include uncommitted work)': commit,
    build: path.relative(ROOT, MAIN_JS),
    ...extra,
  };
}

// ---------------------------------------------------------------- helpers

function recordDetail(scenario, target, run, r, extra = {}) {
  details.push({
    scenario,
    target,
    run,
    rps: r.rps,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    generatorCpu: r.generatorCpu,
    serverCpu: r.serverCpu,
    pacing: r.pacing,
    ...extra,
  });
}

async function fail(ids, err) {
  const msg = err && err.message ? err.message.split('\n')[0] : String(err);
  for (const id of ids)
    if (!row(id).subject || !row(id).error) row(id).error = row(id).error || msg;
  log(`ERROR in ${ids.join(', ')}: ${err && err.stack ? err.stack : err}`);
}

/** Rotates a list by `k` so that no target always runs first (drift and warm caches even out). */
function rotate(list, k) {
  const n = list.length;
  return list.map((_, i) => list[(i + k) % n]);
}

async function stopInstance(inst) {
  if (inst && inst.proc) await inst.proc.stop('SIGTERM', 15000).catch(() => undefined);
}

/** A deterministic pseudo-random (not all-zero) file that looks like MP4 to a sniffer. */
async function makeVideoFile(file, bytes) {
  const block = randomBytes(MiB);
  // An ftyp box (size 24: major brand isom, minor 512, compatible isom + mp41) at offset 0.
  Buffer.concat([
    Buffer.from([0, 0, 0, 24]),
    Buffer.from('ftypisom'),
    Buffer.from([0, 0, 2, 0]),
    Buffer.from('isommp41'),
  ]).copy(block, 0);
  const fd = fs.openSync(file, 'w');
  try {
    for (let off = 0; off < bytes; off += MiB)
      fs.writeSync(fd, block, 0, Math.min(MiB, bytes - off));
  } finally {
    fs.closeSync(fd);
  }
}

function findStoredCopy(dir, size) {
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop();
    let entries = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile() && fs.statSync(p).size === size) return p;
    }
  }
  return null;
}

async function wsConnectionsOf(url) {
  const r = await fetch(`${url}/health`).catch(() => null);
  if (!r) return null;
  const j = await r.json().catch(() => null);
  return j && typeof j.websocketConnections === 'number' ? j.websocketConnections : null;
}

// ---------------------------------------------------------------- scenarios

/**
 * --ab-together: each A/B pair is loaded at the same moment, half of the connections each, both
 * servers on the same CPU. Whatever else the machine does then hits both alike, and the kernel
 * shares the core between them, so the ratio of their req/s is the inverse ratio of their CPU
 * cost per request. On a machine shared with other work this is far steadier than runs one
 * after the other (which see different moments of the background load).
 */
async function abTogether(ctx) {
  const base = {
    label: 'OnAir embedded',
    url: `${ctx.emb.url}/api/v1/streams/${ctx.embStream.id}`,
  };
  const half = Math.max(1, Math.floor(C.httpConnections / 2));
  for (const ab of ctx.ab) {
    const url = `${ab.inst.url}/api/v1/streams/${ab.stream.id}`;
    // A long warm-up, together: the baseline has already served the pairs before this one, a
    // cold instance (JIT, caches) would otherwise look slower than it is.
    const warmSec = Math.max(5, C.warm);
    await Promise.all([
      load({ url: base.url, connections: half, durationSec: warmSec }),
      load({ url, connections: half, durationSec: warmSec }),
    ]);
    const a = [];
    const b = [];
    for (let run = 0; run < C.runs; run++) {
      const [rb, ra] = await Promise.all([
        load({
          url: base.url,
          connections: half,
          durationSec: C.sec,
          serverPids: [ctx.emb.proc.pid],
        }),
        load({ url, connections: half, durationSec: C.sec, serverPids: [ab.inst.proc.pid] }),
      ]);
      recordDetail('A/B together', base.label, run + 1, rb);
      recordDetail('A/B together', `OnAir embedded + ${ab.name}`, run + 1, ra);
      a.push(ra.rps);
      b.push(rb.rps);
      log(
        `  together run ${run + 1}: ${ab.name} ${fmtNum(ra.rps)} req/s vs baseline ${fmtNum(rb.rps)} req/s (${(ra.rps / rb.rps).toFixed(2)})`,
      );
    }
    row(ab.row).subject = { runs: a };
    row(ab.row).peer = { runs: b };
    note(
      ab.row,
      `loaded together with the baseline (${half} connections each, same CPU); per-run ratios ${a.map((v, i) => (v / b[i]).toFixed(2)).join(', ')}`,
    );
  }
}

/** Share of `file` resident in the page cache (util-linux fincore), or null when unknown. */
function pageCacheShare(file) {
  try {
    const out = require('node:child_process')
      .execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES,SIZE', file], {
        encoding: 'utf8',
        timeout: 5000,
      })
      .trim()
      .split(/\s+/)
      .map(Number);
    return out.length === 2 && out[1] > 0 ? Math.min(1, out[0] / out[1]) : null;
  } catch {
    return null;
  }
}

/** Closed-loop max of OnAir vs its peer (interleaved), then OnAir's p99 at 50 % of its max. */
async function pairWithPeer(label, onair, peer, rows) {
  for (const t of [onair, peer]) {
    const r = await load({
      ...t.req,
      connections: C.httpConnections,
      durationSec: Math.max(1, C.warm),
    });
    if (r.ok === 0)
      throw new Error(
        `${t.label}: warm-up got no 2xx answer (status codes ${JSON.stringify(r.statusCodes)}, errors ${r.errors})`,
      );
  }
  const rps = { onair: [], peer: [] };
  for (let run = 0; run < C.runs; run++) {
    for (const [k, t] of rotate(
      [
        ['onair', onair],
        ['peer', peer],
      ],
      run,
    )) {
      const r = await load({
        ...t.req,
        connections: C.httpConnections,
        durationSec: C.sec,
        serverPids: t.pids,
      });
      recordDetail(label, t.label, run + 1, r);
      if (r.non2xx || r.errors || r.timeouts)
        note(
          rows.max,
          `${t.label} run ${run + 1}: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)}), ${r.errors} errors, ${r.timeouts} timeouts`,
        );
      rps[k].push(r.rps);
      log(
        `  ${t.label.padEnd(34)} run ${run + 1}: ${fmtNum(r.rps)} req/s  p99 ${fmtNum(r.latency.p99, 1)} ms  server CPU ${r.serverCpu === null ? '?' : Math.round(r.serverCpu * 100) + '%'}`,
      );
    }
  }
  row(rows.max).subject = { runs: rps.onair };
  row(rows.max).peer = { runs: rps.peer };
  const rate = 0.5 * median(rps.onair);
  const p99s = [];
  for (let run = 0; run < C.runs; run++) {
    const r = await load({
      ...onair.req,
      connections: C.httpConnections,
      durationSec: C.sec,
      rate,
      pacing: ARGS.stockRate ? 'stock' : 'smooth',
      recordLatency: true,
      serverPids: onair.pids,
    });
    recordDetail(`${label} p99 at 50%`, onair.label, run + 1, r);
    p99s.push(r.latency.p99);
    log(
      `  ${onair.label.padEnd(34)} @${fmtNum(rate)} req/s run ${run + 1}: p50 ${fmtNum(r.latency.p50, 2)} ms  p99 ${fmtNum(r.latency.p99, 2)} ms`,
    );
    if (r.non2xx || r.errors)
      note(rows.p99, `run ${run + 1}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    if (r.rps < 0.9 * rate)
      note(
        rows.p99,
        `run ${run + 1}: only ${fmtNum(r.rps)} of ${fmtNum(rate)} req/s achieved (latency then includes queueing)`,
      );
  }
  row(rows.p99).subject = { runs: p99s };
  note(rows.p99, `rate ${fmtNum(rate)} req/s = 50% of the median max; smooth pacing`);
}

/** P8 (the HLS check) and P9 (presence heartbeats), clustered, each against its raw peer. */
async function checksScenario(ctx) {
  const inst = ctx.clu;
  const port = await freePort();
  const proc = startProcess({
    name: 'raw-fastify-checks',
    cmd: process.execPath,
    args: [path.join(__dirname, 'peers', 'raw-fastify-checks.js')],
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOOK_SECRET: SECRETS.HOOK_SECRET,
      PLAY_URL_SECRET: SECRETS.PLAY_URL_SECRET,
      REDIS_URL: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `${ctx.redisPrefix}peer:`,
    },
    cwd: ROOT,
    cpu: PIN.server,
  });
  ctx.cleanupProcs.push(proc);
  const peerUrl = `http://127.0.0.1:${port}`;
  await waitReady(
    proc,
    async () => (await fetch(`${peerUrl}/health/ready`).catch(() => null))?.status === 200,
  );
  const owner = await inst.api.user('checkowner');

  if (want('P8')) {
    // A live stream and the owner's own playback session (its hls URL carries sid/exp/sig).
    const s = await inst.api.stream(owner.token, 'HLS check bench');
    if (!s.playback || !s.playback.hls)
      throw new Error('P8: the stream has no playback.hls URL (HLS_BASE_URL unset?)');
    await inst.api.call(
      'POST',
      `/api/v1/hooks/nginx-rtmp?secret=${encodeURIComponent(SECRETS.HOOK_SECRET)}`,
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        form: new URLSearchParams({
          call: 'publish',
          app: 'live',
          name: s.id,
          key: s.streamKey,
          clientid: '4242',
          addr: '127.0.0.1',
          tcurl: 'rtmp://127.0.0.1:1935/live',
        }).toString(),
        expect: [200, 201, 204],
      },
    );
    // Keep it live the way nginx-rtmp does (on_update every notify_update_timeout): otherwise a
    // full run outlasts STREAM_STALE_SEC, the sweeper ends the stream and every check is a 403.
    const hookPath = `/api/v1/hooks/nginx-rtmp?secret=${encodeURIComponent(SECRETS.HOOK_SECRET)}`;
    const updateForm = new URLSearchParams({
      call: 'update_publish',
      app: 'live',
      name: s.id,
      key: s.streamKey,
      clientid: '4242',
      addr: '127.0.0.1',
      time: '10',
      timestamp: '10000',
    }).toString();
    const keepLive = setInterval(() => {
      inst.api
        .call('POST', hookPath, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          form: updateForm,
          expect: [200, 201, 204],
        })
        .catch((err) => log(`P8: update_publish failed: ${err.message}`));
    }, 10_000);
    keepLive.unref();
    const originalUri = `/hls/${s.id}.m3u8${new URL(s.playback.hls).search}`;
    const checkPath = `/api/v1/hooks/hls?secret=${encodeURIComponent(SECRETS.HOOK_SECRET)}`;
    const headers = { 'x-original-uri': originalUri };
    for (const [who, base] of [
      ['OnAir', inst.url],
      ['raw Fastify', peerUrl],
    ]) {
      const r = await fetch(base + checkPath, { headers });
      if (r.status !== 204)
        throw new Error(
          `P8: ${who} answered the HLS check with ${r.status}, not 204${r.status === 404 ? ' (no GET /api/v1/hooks/hls in this build)' : ''}: ${(await r.text()).slice(0, 200)}`,
        );
    }
    note(
      'P8a',
      `X-Original-URI ${originalUri.replace(/sig=[^&]+/, 'sig=…')} of a live stream; both answer 204`,
    );
    try {
      await pairWithPeer(
        'P8 HLS check',
        {
          label: 'OnAir clustered HLS check',
          req: { url: inst.url + checkPath, headers },
          pids: [inst.proc.pid],
        },
        {
          label: 'raw Fastify HMAC check',
          req: { url: peerUrl + checkPath, headers },
          pids: [proc.pid],
        },
        { max: 'P8a', p99: 'P8b' },
      );
    } finally {
      clearInterval(keepLive);
    }
  }

  if (want('P9')) {
    const room = await inst.api.call('POST', '/api/v1/rooms', {
      token: owner.token,
      body: { name: 'Heartbeat bench' },
      expect: [201],
    });
    const roomId = room.body.id;
    const hbPath = `/api/v1/rooms/${roomId}/heartbeat`;
    const req = (base) => ({
      url: base + hbPath,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ viewerId: 'bench-viewer-1' }),
    });
    for (const [who, base] of [
      ['OnAir', inst.url],
      ['raw Fastify', peerUrl],
    ]) {
      const r = await fetch(base + hbPath, {
        method: 'POST',
        headers: req(base).headers,
        body: req(base).body,
      });
      if (r.status !== 204)
        throw new Error(
          `P9: ${who} answered the heartbeat with ${r.status}, not 204: ${(await r.text()).slice(0, 200)}`,
        );
    }
    await pairWithPeer(
      'P9 heartbeat',
      { label: 'OnAir clustered heartbeat', req: req(inst.url), pids: [inst.proc.pid] },
      { label: 'raw Fastify + ioredis ZADD', req: req(peerUrl), pids: [proc.pid] },
      { max: 'P9a', p99: 'P9b' },
    );
    ctx.heartbeatRoomId = roomId;
  }
}

/**
 * P9c: presence:heartbeat over Socket.IO at a steady rate below the per-connection event limit
 * (10/s): each socket sends one every 200 ms, phases spread; p99 of the acknowledgements.
 */
async function socketHeartbeats(ctx, inst, roomId) {
  if (!roomId) throw new Error('P9c: no room (the P9 HTTP setup did not run)');
  const { io } = require('socket.io-client');
  const count = MODE === 'smoke' ? 40 : 200;
  const everyMs = 200;
  const sockets = [];
  // In batches: 200 simultaneous joins on a starved machine time out their store calls.
  for (let b = 0; b < count; b += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, count - b) }, () => {
        const s = io(`${inst.url}/chat`, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
        });
        return new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('P9c: socket connect timeout')), 15000);
          s.once('connect_error', (e) => reject(new Error(`P9c: connect_error ${e && e.message}`)));
          s.once('connect', () =>
            s.emit('room:join', { roomId }, (ack) => {
              clearTimeout(t);
              if (ack && ack.ok) resolve(s);
              else reject(new Error(`P9c: room:join refused ${JSON.stringify(ack)}`));
            }),
          );
        });
      }),
    );
    sockets.push(...batch);
  }
  try {
    const p99s = [];
    for (let run = 0; run < C.runs; run++) {
      const lat = [];
      let failed = 0;
      const until = nowMs() + C.sec * 1000;
      await Promise.all(
        sockets.map(
          (s, i) =>
            new Promise((resolve) => {
              const tick = () => {
                if (nowMs() >= until) return resolve();
                const t0 = nowMs();
                s.timeout(5000).emit('presence:heartbeat', { roomId }, (err, ack) => {
                  if (err || !ack || !ack.ok) failed++;
                  else lat.push(nowMs() - t0);
                });
                setTimeout(tick, everyMs);
              };
              setTimeout(tick, (i / sockets.length) * everyMs);
            }),
        ),
      );
      await sleep(300);
      const p99 = percentile(lat, 99);
      p99s.push(p99);
      details.push({
        scenario: 'P9c socket heartbeat',
        target: 'OnAir clustered',
        run: run + 1,
        rps: lat.length / C.sec,
        p50: percentile(lat, 50),
        p99,
        errors: failed,
        non2xx: 0,
        pacing: `${count} sockets × 1 heartbeat / ${everyMs} ms`,
      });
      log(
        `  socket heartbeats run ${run + 1}: ${lat.length} acked, ${failed} failed, p99 ${fmtNum(p99, 2)} ms`,
      );
      if (failed) note('P9c', `run ${run + 1}: ${failed} heartbeats not acknowledged ok`);
    }
    row('P9c').subject = { runs: p99s };
    note(
      'P9c',
      `${count} anonymous sockets in the room, each sending presence:heartbeat every ${everyMs} ms (${fmtNum((count * 1000) / everyMs)}/s in total; the per-connection limit is 10 events/s)`,
    );
  } finally {
    for (const s of sockets) s.disconnect();
  }
}

/** P1 / P3 / P7a: closed-loop throughput of several targets, interleaved, then latency at 50%. */
async function throughputGroup(ctx) {
  const targets = [];
  if (want('P1'))
    targets.push({
      key: 'fastify',
      label: 'raw Fastify',
      url: ctx.fastify.url + `/api/v1/streams/${ctx.embStream.id}`,
      pids: [ctx.fastify.proc.pid],
    });
  if (want('P1') && ctx.bareNest)
    targets.push({
      key: 'nest',
      label: 'bare NestJS on Fastify',
      url: ctx.bareNest.url + `/api/v1/streams/${ctx.embStream.id}`,
      pids: [ctx.bareNest.proc.pid],
    });
  if (want('P1') || want('P3') || want('P7') || (ctx.ab || []).length)
    targets.push({
      key: 'emb',
      label: 'OnAir embedded',
      url: `${ctx.emb.url}/api/v1/streams/${ctx.embStream.id}`,
      pids: [ctx.emb.proc.pid],
    });
  if (want('P3'))
    targets.push({
      key: 'off',
      label: 'OnAir embedded, metrics off',
      url: `${ctx.off.url}/api/v1/streams/${ctx.offStream.id}`,
      pids: [ctx.off.proc.pid],
    });
  if (want('P7'))
    targets.push({
      key: 'emr',
      label: 'OnAir embedded + Redis throttler',
      url: `${ctx.emr.url}/api/v1/streams/${ctx.emrStream.id}`,
      pids: [ctx.emr.proc.pid],
    });
  for (const ab of ctx.ab || [])
    targets.push({
      key: ab.key,
      label: `OnAir embedded + ${ab.name}`,
      url: `${ab.inst.url}/api/v1/streams/${ab.stream.id}`,
      pids: [ab.inst.proc.pid],
      abRow: ab.row,
    });
  if (want('P1'))
    targets.push({
      key: 'clu',
      label: 'OnAir clustered',
      url: `${ctx.clu.url}/api/v1/streams/${ctx.cluStream.id}`,
      pids: [ctx.clu.proc.pid],
    });

  log(`throughput: warming up ${targets.map((t) => t.label).join(', ')}`);
  for (const t of targets) {
    const r = await load({
      url: t.url,
      connections: C.httpConnections,
      durationSec: Math.max(1, C.warm),
    });
    if (r.ok === 0)
      throw new Error(
        `${t.label}: warm-up got no 2xx answer (status codes ${JSON.stringify(r.statusCodes)}, errors ${r.errors})`,
      );
  }
  const rps = Object.fromEntries(targets.map((t) => [t.key, []]));
  // Server CPU time per answered request (µs): on a machine shared with other work the server
  // gets a varying share of its core, which moves req/s a lot and CPU per request much less.
  const cpuUs = Object.fromEntries(targets.map((t) => [t.key, []]));
  for (let run = 0; run < C.runs; run++) {
    for (const t of rotate(targets, run)) {
      const r = await load({
        url: t.url,
        connections: C.httpConnections,
        durationSec: C.sec,
        serverPids: t.pids,
      });
      recordDetail('throughput', t.label, run + 1, r);
      if (r.non2xx || r.errors || r.timeouts)
        note(
          t.key === 'fastify' || t.key === 'emb'
            ? 'P1a'
            : t.key === 'clu'
              ? 'P1c'
              : t.key === 'off'
                ? 'P3a'
                : 'P7a',
          `${t.label} run ${run + 1}: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)}), ${r.errors} errors, ${r.timeouts} timeouts`,
        );
      rps[t.key].push(r.rps);
      if (r.serverCpu !== null && r.rps > 0) cpuUs[t.key].push((r.serverCpu / r.rps) * 1e6);
      log(
        `  ${t.label.padEnd(34)} run ${run + 1}: ${fmtNum(r.rps)} req/s  p99 ${fmtNum(r.latency.p99, 1)} ms  gen CPU ${Math.round(r.generatorCpu * 100)}%  server CPU ${r.serverCpu === null ? '?' : Math.round(r.serverCpu * 100) + '%'}`,
      );
      if (r.generatorCpu > 0.9) ctx.generatorBound.add(t.label);
    }
  }
  if (rps.fastify) {
    row('P1a').peer = { runs: rps.fastify };
    row('P1c').peer = { runs: rps.fastify };
  }
  if (want('P1')) {
    row('P1a').subject = { runs: rps.emb };
    row('P1c').subject = { runs: rps.clu };
    if (rps.nest) {
      row('P1e').subject = { runs: rps.nest };
      row('P1e').peer = { runs: rps.fastify };
      note(
        'P1e',
        'NestJS 11 + @nestjs/platform-fastify with one controller and nothing else (peers/bare-nest.js): the framework floor under OnAir',
      );
    }
  }
  if (want('P3')) {
    row('P3a').subject = { runs: rps.emb };
    row('P3a').peer = { runs: rps.off };
  }
  if (want('P7')) {
    row('P7a').subject = { runs: rps.emr };
    row('P7a').peer = { runs: rps.emb };
  }
  for (const t of targets.filter((x) => x.abRow)) {
    row(t.abRow).subject = { runs: rps[t.key] };
    row(t.abRow).peer = { runs: rps.emb };
    if (cpuUs[t.key].length && cpuUs.emb.length) {
      const a = median(cpuUs[t.key]);
      const b = median(cpuUs.emb);
      // The minimum is the least disturbed run (other work only ever adds CPU time per request).
      const amin = Math.min(...cpuUs[t.key]);
      const bmin = Math.min(...cpuUs.emb);
      note(
        t.abRow,
        `server CPU per request, min [median]: ${fmtNum(amin)} [${fmtNum(a)}] µs vs ${fmtNum(bmin)} [${fmtNum(b)}] µs → ${(amin / bmin).toFixed(2)} × [${(a / b).toFixed(2)} ×]; per run ${cpuUs[t.key].map((v) => fmtNum(v)).join(', ')} vs ${cpuUs.emb.map((v) => fmtNum(v)).join(', ')}`,
      );
    }
  }
  for (const [key, id] of [
    ['emb', 'P1a'],
    ['clu', 'P1c'],
  ])
    if (cpuUs[key] && cpuUs[key].length)
      note(id, `server CPU per request: ${fmtNum(median(cpuUs[key]))} µs (median of the runs)`);
  if (ctx.generatorBound.size) {
    for (const id of ['P1a', 'P1c', 'P3a', 'P7a'])
      note(
        id,
        `load generator above 90 % of its CPU for: ${[...ctx.generatorBound].join(', ')} — that target's number is a floor, not its ceiling`,
      );
  }

  // Latency at half of the measured maximum, with smooth pacing (see lib/http-load.js).
  const latencyTargets = [];
  if (want('P1'))
    latencyTargets.push(
      { id: 'P1b', t: targets.find((x) => x.key === 'emb') },
      { id: 'P1d', t: targets.find((x) => x.key === 'clu') },
    );
  for (const { id, t } of latencyTargets) {
    const rate = 0.5 * median(rps[t.key]);
    const p99s = [];
    for (let run = 0; run < C.runs; run++) {
      const r = await load({
        url: t.url,
        connections: C.httpConnections,
        durationSec: C.sec,
        rate,
        pacing: ARGS.stockRate ? 'stock' : 'smooth',
        recordLatency: true,
        serverPids: t.pids,
      });
      recordDetail('p99 at 50%', t.label, run + 1, r);
      p99s.push(r.latency.p99);
      log(
        `  ${t.label.padEnd(34)} @${fmtNum(rate)} req/s run ${run + 1}: achieved ${fmtNum(r.rps)} req/s  p50 ${fmtNum(r.latency.p50, 2)} ms  p99 ${fmtNum(r.latency.p99, 2)} ms`,
      );
      if (r.non2xx || r.errors) note(id, `run ${run + 1}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      if (r.rps < 0.9 * rate)
        note(
          id,
          `run ${run + 1}: only ${fmtNum(r.rps)} of ${fmtNum(rate)} req/s achieved — the server could not keep the pace (latency then includes queueing)`,
        );
    }
    row(id).subject = { runs: p99s };
    note(
      id,
      `rate ${fmtNum(rate)} req/s = 50% of the median max; ${ARGS.stockRate ? "autocannon's stock overallRate pacing" : 'smooth pacing'}`,
    );
  }

  if (want('P3')) {
    // /metrics latency while the route is loaded at 50% of its max.
    const t = targets.find((x) => x.key === 'emb');
    const rate = 0.5 * median(rps.emb);
    const p99s = [];
    for (let run = 0; run < C.runs; run++) {
      const scraper = startScraper(`${ctx.emb.url}/metrics`, C.scrapeEveryMs, C.sec * 1000);
      const r = await load({
        url: t.url,
        connections: C.httpConnections,
        durationSec: C.sec,
        rate,
        pacing: ARGS.stockRate ? 'stock' : 'smooth',
        serverPids: t.pids,
      });
      const scrapes = await scraper;
      const bad = scrapes.filter((s) => s.status !== 200);
      if (bad.length)
        note(
          'P3b',
          `run ${run + 1}: ${bad.length} scrapes failed (${bad[0].status} ${bad[0].error || ''})`,
        );
      const p99 = percentile(
        scrapes.filter((s) => s.status === 200).map((s) => s.ms),
        99,
      );
      p99s.push(p99);
      recordDetail('/metrics under load', `OnAir embedded @${fmtNum(rate)} req/s`, run + 1, r, {
        p99: p99,
        p50: percentile(
          scrapes.map((s) => s.ms),
          50,
        ),
      });
      log(
        `  /metrics while loaded run ${run + 1}: ${scrapes.length} scrapes, p99 ${fmtNum(p99, 2)} ms, body ${fmtNum(scrapes[0] && scrapes[0].bytes)} B`,
      );
    }
    row('P3b').subject = { runs: p99s };
    note(
      'P3b',
      `scraped every ${C.scrapeEveryMs} ms from a separate process while GET /streams/:id ran at 50% of max; p99 per run over its scrapes`,
    );
    note(
      'P3a',
      'metrics off = the same build with bench/lib/metrics-off.js preloaded (every prom-client recording call a no-op, default process metrics not installed); there is no METRICS_ENABLED switch in the app',
    );
  }
}

function startScraper(url, everyMs, durationMs) {
  const { spawn } = require('node:child_process');
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [path.join(__dirname, 'lib', 'scraper.js'), url, String(everyMs), String(durationMs)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`scraper exited ${code} without results`));
      }
    });
  });
}

/** P2: publish → play → play_done → publish_done cycles, one stream per connection, 500 req/s. */
async function hooksScenario(ctx) {
  const inst = ctx.clu;
  const owner = await inst.api.user('hookowner');
  const hookUrl = `/api/v1/hooks/nginx-rtmp?secret=${encodeURIComponent(SECRETS.HOOK_SECRET)}`;
  const streams = [];
  for (let i = 0; i < C.hookConnections; i++) {
    const s = await inst.api.stream(owner.token, `hook bench ${i}`);
    const q = new URL(s.playback.hls).searchParams;
    streams.push({
      id: s.id,
      key: s.streamKey,
      sid: q.get('sid'),
      exp: q.get('exp'),
      sig: q.get('sig'),
      cid: String(1000 + i),
    });
  }
  const form = (o) => new URLSearchParams(o).toString();
  const bodies = (s) => ({
    publish: form({
      call: 'publish',
      app: 'live',
      name: s.id,
      key: s.key,
      clientid: s.cid,
      addr: '127.0.0.1',
      tcurl: 'rtmp://127.0.0.1:1935/live',
      type: 'live',
    }),
    play: form({
      call: 'play',
      app: 'live',
      name: s.id,
      sid: s.sid,
      exp: s.exp,
      sig: s.sig,
      clientid: `9${s.cid}`,
      addr: '127.0.0.1',
      tcurl: 'rtmp://127.0.0.1:1935/live',
    }),
    playDone: form({
      call: 'play_done',
      app: 'live',
      name: s.id,
      sid: s.sid,
      exp: s.exp,
      sig: s.sig,
      clientid: `9${s.cid}`,
      addr: '127.0.0.1',
    }),
    publishDone: form({
      call: 'publish_done',
      app: 'live',
      name: s.id,
      clientid: s.cid,
      addr: '127.0.0.1',
    }),
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  // Sanity: one full cycle by hand, so a broken hook fails loudly here rather than as "errors".
  {
    const b = bodies(streams[0]);
    for (const [name, body] of [
      ['publish', b.publish],
      ['play', b.play],
      ['play_done', b.playDone],
      ['publish_done', b.publishDone],
    ]) {
      const r = await inst.api.call('POST', hookUrl, { headers, form: body });
      if (r.status < 200 || r.status > 299)
        throw new Error(`hook ${name} answered ${r.status}: ${r.text.slice(0, 200)}`);
    }
  }
  const reset = async () => {
    for (const s of streams)
      await inst.api.call('POST', hookUrl, { headers, form: bodies(s).publishDone });
  };
  const setupClient = (client, i) => {
    const b = bodies(streams[i % streams.length]);
    client.setRequests([
      { method: 'POST', path: hookUrl, headers, body: b.publish },
      { method: 'POST', path: hookUrl, headers, body: b.play },
      { method: 'POST', path: hookUrl, headers, body: b.playDone },
      { method: 'POST', path: hookUrl, headers, body: b.publishDone },
    ]);
  };
  const opts = {
    url: inst.url,
    connections: C.hookConnections,
    rate: C.hookRate,
    pacing: ARGS.stockRate ? 'stock' : 'smooth',
    setupClient,
    recordLatency: true,
    serverPids: [inst.proc.pid],
  };
  log(`P2: warm-up at ${C.hookRate} req/s`);
  await load({ ...opts, durationSec: C.warm });
  await reset();
  const p99s = [];
  const errs = [];
  let total = 0;
  for (let run = 0; run < C.runs; run++) {
    const r = await load({ ...opts, durationSec: C.sec });
    await reset();
    recordDetail('P2 hooks', 'OnAir clustered', run + 1, r);
    p99s.push(r.latency.p99);
    const e = r.non2xx + r.errors + r.timeouts;
    errs.push(e);
    total += r.total;
    if (r.rps < 0.9 * C.hookRate)
      note(
        'P2a',
        `run ${run + 1}: only ${fmtNum(r.rps)} of ${C.hookRate} req/s achieved — the hooks could not keep the pace`,
      );
    if (e)
      note(
        'P2b',
        `run ${run + 1}: status codes ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts`,
      );
    log(
      `  hooks run ${run + 1}: ${fmtNum(r.rps)} req/s  p50 ${fmtNum(r.latency.p50, 2)} ms  p99 ${fmtNum(r.latency.p99, 2)} ms  errors ${e}`,
    );
  }
  row('P2a').subject = { runs: p99s };
  row('P2b').subject = { runs: errs };
  row('P2b').ratioText = `${errs.reduce((a, b) => a + b, 0)} in ${fmtNum(total)} calls`;
  note(
    'P2a',
    `${C.hookConnections} connections, each cycling publish → play → play_done → publish_done on its own stream; ${total} hook calls in total`,
  );
}

/** P7b: 1,000 concurrent requests against an instance whose limit is C.burstLimit, Redis store. */
async function burstScenario(ctx) {
  const inst = await startOnAir({
    name: 'burst',
    tmpRoot: TMP,
    cpu: PIN.server,
    variant: {
      redisPrefix: `${ctx.redisPrefix}burst:`,
      env: { THROTTLE_LIMIT: String(C.burstLimit), THROTTLE_TTL_SEC: '300' },
    },
  });
  try {
    const r = await load({
      url: `${inst.url}/api/v1/streams?limit=1`,
      connections: 100,
      amount: C.burst,
      timeoutSec: 30,
    });
    const allowed = Object.entries(r.statusCodes)
      .filter(([code]) => code !== '429')
      .reduce((a, [, n]) => a + n, 0);
    const limited = r.statusCodes['429'] || 0;
    row('P7b').subject = { runs: [allowed] };
    note(
      'P7b',
      `${C.burst} requests on 100 connections against THROTTLE_LIMIT=${C.burstLimit}: ${allowed} answered (${JSON.stringify(r.statusCodes)}), ${limited} × 429, ${r.errors} errors`,
    );
    if (allowed + limited + r.errors !== C.burst)
      note('P7b', `only ${allowed + limited} of ${C.burst} requests were answered`);
    log(`  burst: ${allowed} allowed, ${limited} limited (limit ${C.burstLimit})`);
  } finally {
    await stopInstance(inst);
  }
}

/** P6: 1 MiB Range GETs at random aligned offsets, OnAir vs nginx on the same stored file. */
async function rangeScenario(ctx) {
  const src = path.join(TMP, `video-${C.fileBytes / MiB}MiB.mp4`);
  log(`P6: writing a ${C.fileBytes / MiB} MiB file and uploading it`);
  await makeVideoFile(src, C.fileBytes);
  const user = await ctx.emb.api.user('vod');
  const tUp = Date.now();
  const video = await ctx.emb.api.uploadVideo(user.token, src);
  const upMs = Date.now() - tUp;
  note(
    'P6',
    `upload of ${C.fileBytes / MiB} MiB took ${(upMs / 1000).toFixed(1)} s (${fmtNum(C.fileBytes / MiB / (upMs / 1000))} MiB/s)`,
  );
  const stored = findStoredCopy(path.join(ctx.emb.dir, 'data'), C.fileBytes);
  if (!stored)
    note(
      'P6',
      'could not find the stored copy under DATA_DIR: nginx serves the source file instead',
    );
  fs.rmSync(src, { force: stored !== null });
  const served = stored || src;
  const chunks = Math.floor(C.fileBytes / MiB);
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % chunks;
  const nextRange = () => {
    const a = rnd() * MiB;
    return `bytes=${a}-${a + MiB - 1}`;
  };
  const onairUrl = `${ctx.emb.url}/api/v1/videos/${video.id}/content`;
  const probe = await fetch(onairUrl, { headers: { range: 'bytes=0-1023' } });
  await probe.arrayBuffer();
  if (probe.status !== 206)
    throw new Error(`OnAir Range GET answered ${probe.status}, expected 206`);

  const targets = [
    { key: 'onair', label: 'OnAir embedded', url: onairUrl, pids: [ctx.emb.proc.pid] },
  ];
  const ngBin = findNginx();
  let nginx = null;
  let accel = null;
  let accelProxy = null;
  if (ngBin) {
    nginx = await startNginx({ bin: ngBin, tmpRoot: TMP, file: served, cpu: PIN.server });
    ctx.cleanupProcs.push(nginx.proc);
    const pr = await fetch(nginx.fileUrl, { headers: { range: 'bytes=0-1023' } });
    await pr.arrayBuffer();
    if (pr.status !== 206) throw new Error(`nginx Range GET answered ${pr.status}, expected 206`);
    targets.push({
      key: 'nginx',
      label: 'nginx static',
      url: nginx.fileUrl,
      pids: [nginx.proc.pid],
    });
    // The X-Accel-Redirect mode: a second OnAir on the same data with the mode on, behind nginx
    // (both on the server CPU, which nginx alone had to itself).
    accel = await startOnAir({
      name: 'embedded-accel',
      tmpRoot: TMP,
      cpu: PIN.server,
      variant: ctx.variant({
        env: {
          DATA_DIR: path.join(ctx.emb.dir, 'data'),
          VIDEO_ACCEL_REDIRECT_PREFIX: '/internal/videos/',
        },
      }),
    });
    ctx.cleanupProcs.push(accel.proc);
    accelProxy = await startAccelProxy({
      bin: ngBin,
      tmpRoot: TMP,
      onairPort: accel.port,
      videosDir: path.join(ctx.emb.dir, 'data', 'videos'),
      cpu: PIN.server,
    });
    ctx.cleanupProcs.push(accelProxy.proc);
    const accelUrl = `${accelProxy.url}/api/v1/videos/${video.id}/content`;
    const pa = await fetch(accelUrl, { headers: { range: 'bytes=0-1023' } });
    const head = Buffer.from(await pa.arrayBuffer());
    if (pa.status !== 206 || head.length !== 1024)
      throw new Error(
        `OnAir behind nginx (X-Accel-Redirect) answered ${pa.status} with ${head.length} bytes, expected 206 with 1024`,
      );
    targets.push({
      key: 'accel',
      label: 'OnAir + nginx X-Accel',
      url: accelUrl,
      pids: [accel.proc.pid, accelProxy.proc.pid],
    });
  } else {
    // The peer is optional by design ("when nginx is present"): the row is reported, not failed.
    row('P6').peerOptional = true;
    row('P6x').skipped = true;
    note('P6x', 'nginx not found: the X-Accel-Redirect mode needs it in front');
    note(
      'P6',
      'nginx not found (install the nginx package): no peer, no ratio — OnAir alone is reported',
    );
  }
  for (const t of targets)
    await rangeLoad({
      url: t.url,
      connections: C.rangeConnections,
      durationSec: Math.max(C.warm, 1),
      nextRange,
      expectBytes: MiB,
    });
  const mibs = { onair: [], nginx: [], accel: [] };
  const cachedAtStart = pageCacheShare(served);
  for (let run = 0; run < C.runs; run++) {
    for (const t of rotate(targets, run)) {
      const cachedBefore = pageCacheShare(served);
      const r = await rangeLoad({
        url: t.url,
        connections: C.rangeConnections,
        durationSec: C.sec,
        nextRange,
        expectBytes: MiB,
        serverPids: t.pids,
      });
      const v = r.bytesPerSec / MiB;
      mibs[t.key].push(v);
      recordDetail('P6 Range 1 MiB', t.label, run + 1, r, {
        pacing: `${r.pacing || 'closed-loop'}; file ${cachedBefore === null ? '?' : Math.round(cachedBefore * 100)} % in the page cache before the run`,
      });
      if (cachedBefore !== null && cachedBefore < 0.99)
        note(
          'P6',
          `${t.label} run ${run + 1}: only ${Math.round(cachedBefore * 100)} % of the file was in the page cache at its start — reads went partly to the disk (compare server CPU: a server waiting on the disk is not at its CPU limit)`,
        );
      if (r.non2xx || r.errors || r.wrongSize)
        note(
          'P6',
          `${t.label} run ${run + 1}: status codes ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.wrongSize} bodies not 1 MiB`,
        );
      if (r.generatorCpu > 0.9)
        note(
          'P6',
          `${t.label} run ${run + 1}: load generator at ${Math.round(r.generatorCpu * 100)} % CPU — a floor for that target`,
        );
      log(
        `  ${t.label.padEnd(16)} run ${run + 1}: ${fmtNum(v)} MiB/s (${fmtNum(r.rps)} req/s)  p99 ${fmtNum(r.latency.p99, 1)} ms  gen CPU ${Math.round(r.generatorCpu * 100)}%  server CPU ${r.serverCpu === null ? '?' : Math.round(r.serverCpu * 100) + '%'}`,
      );
    }
  }
  if (cachedAtStart !== null)
    note(
      'P6',
      `page cache held ${Math.round(cachedAtStart * 100)} % of the file after the warm-ups (fincore); a file that does not stay cached turns P6 into a disk benchmark`,
    );
  row('P6').subject = { runs: mibs.onair };
  if (nginx) row('P6').peer = { runs: mibs.nginx };
  if (accel) {
    row('P6x').subject = { runs: mibs.accel };
    row('P6x').peer = { runs: mibs.nginx };
    note(
      'P6x',
      'a second OnAir (VIDEO_ACCEL_REDIRECT_PREFIX=/internal/videos/, same DATA_DIR) behind nginx with the internal location of docker/nginx/nginx.conf; OnAir checks each request and answers X-Accel-Redirect, nginx sends the 1 MiB with sendfile. OnAir, the proxy and the static peer share the one server CPU',
    );
  }
  note(
    'P6',
    `load from Node's http client (autocannon's JavaScript parser caps near 50 MiB/s on one core); ${C.rangeConnections} keep-alive connections, Range: bytes=a-(a+1MiB-1) at random 1 MiB-aligned offsets of a ${C.fileBytes / MiB} MiB file (page-cached after warm-up); nginx: sendfile on, access_log off`,
  );
  if (nginx) await nginx.proc.stop();
  if (accelProxy) await accelProxy.proc.stop();
  if (accel) await accel.proc.stop();
}

/** P5: a room with C.members members, one sender; 10 msg/s latency and flood throughput. */
async function broadcastScenario(ctx) {
  const host = await ctx.emb.api.user('host');
  const room = await ctx.emb.api.room(host.token, 'Broadcast bench');
  const tokens = ctx.memberTokens;
  const targets = [
    {
      key: 'onair',
      label: 'OnAir embedded',
      url: `${ctx.emb.url}/chat`,
      roomId: room.id,
      senderTokens: tokens,
    },
    {
      key: 'bare',
      label: 'bare Socket.IO',
      url: `${ctx.bare.url}/chat`,
      roomId: 'bench-room',
      senderTokens: [],
    },
  ];
  for (const t of targets) {
    t.pool = WorkerPool.forClients(C.members);
    ctx.pools.push(t.pool);
    const c = await t.pool.connect({
      url: t.url,
      tokens: t.key === 'onair' ? tokens : [],
      rooms: [t.roomId],
      count: C.members,
      concurrency: 100,
      light: true,
    });
    if (c.failed)
      throw new Error(
        `${t.label}: ${c.failed} of ${C.members} members failed to connect/join: ${JSON.stringify(c.errors)}`,
      );
    t.sender = await connectSenders({
      url: t.url,
      tokens: t.senderTokens,
      roomId: t.roomId,
      count: C.senders,
    });
    log(`P5: ${t.label}: ${c.connected} members joined in ${(c.ms / 1000).toFixed(1)} s`);
  }
  const drain = async (t, expected) => {
    let last = -1;
    let stableSince = Date.now();
    const deadline = Date.now() + 30000;
    for (;;) {
      const s = await t.pool.stats();
      if (s.hist.count >= expected) return s;
      if (s.hist.count !== last) {
        last = s.hist.count;
        stableSince = Date.now();
      } else if (Date.now() - stableSince > 1000 || Date.now() > deadline) return s;
      await sleep(100);
    }
  };
  const measure = async (t, kind, durationMs) => {
    await t.pool.reset();
    await t.pool.record(true);
    const start = nowMs();
    const cpu0 = await t.pool.stats();
    const srvPid = t.key === 'onair' ? ctx.emb.proc.pid : ctx.bare.proc.pid;
    const s0 = procCpuSeconds(srvPid);
    // Deliveries per second are counted over the sending window itself (a snapshot at its end):
    // the backlog a saturated server builds up drains afterwards and is not part of the rate.
    const atEnd = sleep(durationMs).then(() => t.pool.stats());
    const sent =
      kind === 'paced'
        ? await t.sender.paced(10, durationMs)
        : await t.sender.flood(C.senderRate, C.senderWindow, durationMs);
    const end = await atEnd;
    const ok = sent.sent - sent.refused;
    const s = await drain(t, ok * C.members);
    await t.pool.record(false);
    const s1 = procCpuSeconds(srvPid);
    const windowSec = durationMs / 1000;
    const span = ((s.lastAt ?? nowMs()) - start) / 1000;
    return {
      sent,
      ok,
      delivered: s.hist.count,
      expected: ok * C.members,
      deliveriesPerSec: end.hist.count / windowSec,
      p50: s.hist.percentile(50),
      p99: s.hist.percentile(99),
      generatorCpu: (end.cpuSeconds - cpu0.cpuSeconds) / windowSec,
      serverCpu: s0 !== null && s1 !== null ? (s1 - s0) / span : null,
    };
  };
  for (const t of targets) await measure(t, 'paced', Math.max(1000, C.warm * 1000));
  const res = { onair: { paced: [], flood: [] }, bare: { paced: [], flood: [] } };
  for (let run = 0; run < C.runs; run++) {
    for (const t of rotate(targets, run)) {
      const p = await measure(t, 'paced', C.p5Sec * 1000);
      const f = await measure(t, 'flood', C.p5Sec * 1000);
      res[t.key].paced.push(p);
      res[t.key].flood.push(f);
      for (const [kind, m] of [
        ['10 msg/s', p],
        ['flood', f],
      ]) {
        details.push({
          scenario: `P5 ${kind}`,
          target: t.label,
          run: run + 1,
          rps: m.deliveriesPerSec,
          p50: m.p50,
          p99: m.p99,
          errors: m.sent.refused,
          non2xx: m.expected - m.delivered,
          generatorCpu: m.generatorCpu,
          serverCpu: m.serverCpu,
          pacing: `${m.sent.sent} sent, ${m.delivered}/${m.expected} delivered`,
        });
        if (m.sent.refused)
          note(
            kind === 'flood' ? 'P5b' : 'P5a',
            `${t.label} run ${run + 1}: ${m.sent.refused} sends refused ${JSON.stringify(m.sent.errors)}`,
          );
        if (m.delivered < m.expected)
          note(
            kind === 'flood' ? 'P5b' : 'P5a',
            `${t.label} run ${run + 1}: ${m.expected - m.delivered} of ${m.expected} deliveries missing`,
          );
      }
      log(
        `  ${t.label.padEnd(16)} run ${run + 1}: 10 msg/s p99 ${fmtNum(p.p99, 1)} ms | flood ${fmtNum(f.sent.sent)} msgs → ${fmtNum(f.deliveriesPerSec)} deliveries/s, p99 ${fmtNum(f.p99, 1)} ms, generator CPU ${Math.round(f.generatorCpu * 100)}%`,
      );
    }
  }
  row('P5a').subject = { runs: res.onair.paced.map((m) => m.p99) };
  row('P5a').peer = { runs: res.bare.paced.map((m) => m.p99) };
  row('P5b').subject = { runs: res.onair.flood.map((m) => m.deliveriesPerSec) };
  row('P5b').peer = { runs: res.bare.flood.map((m) => m.deliveriesPerSec) };
  row('P5c').subject = { runs: res.onair.flood.map((m) => m.p99) };
  row('P5c').peer = { runs: res.bare.flood.map((m) => m.p99) };
  note(
    'P5a',
    `${C.members} members (receive-only Engine.IO/Socket.IO protocol over ws, see lib/socket-worker.js; in ${targets[0].pool.workers.length} worker process) + ${C.senders} socket.io-client senders also in the room; 10 msg/s in total, round-robin over the senders, for ${C.p5Sec} s`,
  );
  note(
    'P5b',
    `offered load: ${C.senders} senders × ${C.senderRate} msg/s (OnAir allows 10 events/s per connection), at most ${C.senderWindow} unacknowledged each, for ${C.p5Sec} s; deliveries counted at the ${C.members} members during the sending window ÷ its length (the backlog drains afterwards; its latency is in P5c)`,
  );
  const genMax = Math.max(
    ...res.onair.flood.map((m) => m.generatorCpu),
    ...res.bare.flood.map((m) => m.generatorCpu),
  );
  if (genMax > 0.85)
    note(
      'P5b',
      `the receiving clients used up to ${Math.round(genMax * 100)} % of their CPU: the ratio may be compressed towards 1 (client-bound)`,
    );
  for (const t of targets) {
    t.sender.close();
    await t.pool.disconnect();
  }
}

/** P4: N idle authenticated sockets joined to rooms; heap per socket and return to baseline. */
async function idleSocketsScenario(ctx) {
  const limit = fileLimit();
  let n = C.sockets;
  if (limit && n > limit - 300) {
    n = limit - 300;
    note(
      'P4a',
      `N capped to ${n}: the open-files limit here is ${limit} (hard) and the server needs a few descriptors of its own`,
    );
  }
  const host = await ctx.emb.api.user('p4host');
  const rooms = [];
  for (let i = 0; i < C.rooms; i++)
    rooms.push((await ctx.emb.api.room(host.token, `Idle bench ${i}`)).id);
  const targets = [
    {
      key: 'onair',
      label: 'OnAir embedded',
      inst: ctx.emb,
      url: `${ctx.emb.url}/chat`,
      tokens: ctx.memberTokens,
      rooms,
    },
    {
      key: 'bare',
      label: 'bare Socket.IO',
      inst: ctx.bare,
      url: `${ctx.bare.url}/chat`,
      tokens: [],
      rooms: rooms.map((_, i) => `idle-${i}`),
    },
  ];
  const pool = WorkerPool.forClients(n);
  ctx.pools.push(pool);
  const settle = async (t, expected) => {
    const got = await until(
      async () => {
        const c = await wsConnectionsOf(t.inst.url);
        if (c === null) return 'unknown';
        return c <= expected ? 'ok' : null;
      },
      {
        timeoutMs: 60000,
        intervalMs: 250,
        message: `${t.label}: sockets still open after disconnect`,
      },
    );
    if (got === 'unknown') await sleep(3000);
  };
  const out = { onair: { per: [], back: [], rssPer: [] }, bare: { per: [], back: [], rssPer: [] } };
  for (const t of targets) {
    // Warm-up: the first connections compile and allocate lazily-built structures once.
    const warmN = Math.min(200, n);
    const w = await pool.connect({
      url: t.url,
      tokens: t.tokens,
      rooms: t.rooms,
      count: warmN,
      concurrency: 100,
    });
    if (w.failed)
      throw new Error(
        `${t.label}: ${w.failed} of ${warmN} warm-up sockets failed: ${JSON.stringify(w.errors)}`,
      );
    await pool.disconnect();
    const base0 = (await wsConnectionsOf(t.inst.url)) ?? 0;
    await settle(t, 0);
    await sleep(500);
    t.baseline = await t.inst.heap();
    t.baseRss = procRss(t.inst.proc.pid);
    log(
      `P4: ${t.label} baseline heap ${fmtNum(t.baseline.heapUsed / MiB, 1)} MiB (${base0} sockets open before settle)`,
    );
  }
  for (let run = 0; run < C.runs; run++) {
    for (const t of rotate(targets, run)) {
      const c = await pool.connect({
        url: t.url,
        tokens: t.tokens,
        rooms: t.rooms,
        count: n,
        concurrency: 200,
        timeoutMs: 60000,
      });
      if (c.failed)
        note(
          'P4a',
          `${t.label} run ${run + 1}: ${c.failed} of ${n} sockets failed ${JSON.stringify(c.errors)}`,
        );
      if (c.connected === 0)
        throw new Error(
          `${t.label}: no socket could connect and join: ${JSON.stringify(c.errors)}`,
        );
      await sleep(500);
      const h = await t.inst.heap();
      const rss = procRss(t.inst.proc.pid);
      const per = (h.heapUsed - t.baseline.heapUsed) / c.connected;
      out[t.key].per.push(per);
      out[t.key].rssPer.push(rss && t.baseRss ? (rss - t.baseRss) / c.connected : null);
      await pool.disconnect();
      await settle(t, 0);
      await sleep(500);
      // Closing thousands of transports finishes asynchronously after the count reaches 0:
      // give the heap up to 10 s to come back before calling it retained.
      let after = await t.inst.heap();
      for (
        let waited = 0;
        after.heapUsed > 1.1 * t.baseline.heapUsed && waited < 10000;
        waited += 1000
      ) {
        await sleep(1000);
        const again = await t.inst.heap();
        const settled = again.heapUsed > 0.99 * after.heapUsed; // no longer shrinking: that is where it stays
        after = again;
        if (settled) break;
      }
      out[t.key].back.push(after.heapUsed / t.baseline.heapUsed);
      details.push({
        scenario: 'P4 idle sockets',
        target: t.label,
        run: run + 1,
        rps: c.connected / (c.ms / 1000),
        p50: null,
        p99: null,
        errors: c.failed,
        non2xx: 0,
        generatorCpu: null,
        serverCpu: null,
        pacing: `${c.connected} sockets in ${(c.ms / 1000).toFixed(1)} s; heap +${fmtNum(per)} B/socket, RSS +${fmtNum(rss && t.baseRss ? (rss - t.baseRss) / c.connected : null)} B/socket; after disconnect ${fmtNum(after.heapUsed / MiB, 1)} MiB`,
      });
      log(
        `  ${t.label.padEnd(16)} run ${run + 1}: ${c.connected} sockets in ${(c.ms / 1000).toFixed(1)} s, heap +${fmtNum(per)} B/socket, after disconnect ${fmtNum((100 * after.heapUsed) / t.baseline.heapUsed, 1)} % of baseline`,
      );
    }
  }
  row('P4a').subject = { runs: out.onair.per };
  row('P4a').peer = { runs: out.bare.per };
  row('P4b').subject = { runs: out.onair.back };
  row('P4b').peer = { runs: out.bare.back };
  note(
    'P4a',
    `N = ${n}, ${C.rooms} rooms, ${ctx.memberTokens.length} users' tokens; V8 heapUsed after forced GC (--expose-gc, bench/lib/heap-probe.js) minus the baseline, ÷ N. RSS per socket (informational): OnAir ${fmtNum(median(out.onair.rssPer))} B, bare ${fmtNum(median(out.bare.rssPer))} B`,
  );
}

// ---------------------------------------------------------------- main

async function main() {
  log(
    `mode ${MODE}: ${C.runs} run(s) × ${C.sec} s per target, warm-up ${C.warm} s, N=${C.sockets} sockets, file ${C.fileBytes / MiB} MiB${ARGS.only ? `, only ${[...ARGS.only].join(',')}` : ''}`,
  );
  log(`pinning: ${PIN.reason}; tmp ${TMP}`);
  if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run "npm run build" first`);
  const ctx = {
    pools: [],
    cleanupProcs: [],
    generatorBound: new Set(),
    redisPrefix: `bench${runId}:`,
  };
  const extra = {};
  const needPg = want('P1') || want('P2') || want('P8') || want('P9');
  const needRedis = needPg || want('P7');
  if (needPg) {
    const db = await createDatabase();
    cleanups.push(() => db.drop());
    ctx.db = db;
    extra.postgresql = db.version;
  }
  if (needRedis) {
    const ri = await redisInfo(ctx.redisPrefix);
    cleanups.push(() => ri.cleanup());
    extra.redis = ri.version;
  }
  const ngBin = findNginx();
  extra.nginx = ngBin ? nginxVersion(ngBin) || ngBin : 'not found';
  const meta = {
    mode: MODE,
    startedAt: new Date().toISOString(),
    machine: machine(extra),
    settings: { ...C, pacing: ARGS.stockRate ? 'autocannon stock overallRate' : 'smooth' },
  };
  const profileDir = ARGS.profile ? path.join(TMP, 'profiles') : null;
  const preload = ARGS.experiments.map((e) => {
    const f = path.join(__dirname, 'experiments', `${e}.js`);
    if (!fs.existsSync(f))
      throw new Error(`unknown experiment ${e} (no ${path.relative(ROOT, f)})`);
    return f;
  });
  if (preload.length) meta.settings.experiments = ARGS.experiments.join(', ');
  const variant = (v) => ({ ...v, profileDir: profileDir || undefined, preload });
  ctx.variant = variant;

  // OnAir instances (started together; they boot in parallel on the server CPU).
  const starts = {};
  if (
    want('P1') ||
    want('P3') ||
    want('P4') ||
    want('P5') ||
    want('P6') ||
    want('P7') ||
    ARGS.ab.length
  )
    starts.emb = startOnAir({
      name: 'embedded',
      tmpRoot: TMP,
      cpu: PIN.server,
      variant: variant({ heapProbe: true }),
    });
  if (want('P3'))
    starts.off = startOnAir({
      name: 'metrics-off',
      tmpRoot: TMP,
      cpu: PIN.server,
      variant: variant({ metricsOff: true }),
    });
  if (want('P7'))
    starts.emr = startOnAir({
      name: 'embedded-redis',
      tmpRoot: TMP,
      cpu: PIN.server,
      variant: variant({ redisPrefix: `${ctx.redisPrefix}emr:` }),
    });
  if (want('P1') || want('P2') || want('P8') || want('P9'))
    starts.clu = startOnAir({
      name: 'clustered',
      tmpRoot: TMP,
      cpu: PIN.server,
      variant: variant({ postgresUrl: ctx.db.url, redisPrefix: `${ctx.redisPrefix}clu:` }),
    });
  ctx.ab = [];
  ARGS.ab.forEach((name, i) => {
    const key = `ab${i + 1}`;
    const v = variant({});
    if (name.startsWith('env:')) {
      const [k, ...rest] = name.slice(4).split('=');
      v.env = { [k]: rest.join('=') };
    } else if (name.startsWith('build:')) {
      // Another build of the app (e.g. the commit before a change): before/after in one run.
      v.mainJs = name.slice(6);
    } else {
      // "a+b" stacks several experiments in one instance.
      for (const part of name.split('+')) {
        const f = path.join(__dirname, 'experiments', `${part}.js`);
        if (!fs.existsSync(f))
          throw new Error(`unknown experiment ${part} (no ${path.relative(ROOT, f)})`);
        v.preload = [...v.preload, f];
      }
    }
    starts[key] = startOnAir({
      name: `embedded-${key}`,
      tmpRoot: TMP,
      cpu: PIN.server,
      variant: v,
    });
    ctx.ab.push({ key, name, row: `AB${i + 1}` });
  });
  log(`starting OnAir: ${Object.keys(starts).join(', ')}`);
  const settled = await Promise.allSettled(Object.values(starts));
  Object.keys(starts).forEach((k, i) => {
    if (settled[i].status === 'fulfilled') ctx[k] = settled[i].value;
  });
  const bootErr = settled.find((s) => s.status === 'rejected');
  if (bootErr) throw new Error(`OnAir did not start: ${bootErr.reason.message}`);

  // Setup data: one user + one stream per HTTP instance.
  for (const k of ['emb', 'off', 'emr', 'clu']) {
    if (!ctx[k]) continue;
    const u = await ctx[k].api.user('owner');
    ctx[`${k}User`] = u;
    ctx[`${k}Stream`] = await ctx[k].api.stream(u.token, 'Tech talk');
  }
  for (const ab of ctx.ab) {
    ab.inst = ctx[ab.key];
    const u = await ab.inst.api.user('owner');
    ab.stream = await ab.inst.api.stream(u.token, 'Tech talk');
  }
  if (want('P4') || want('P5')) {
    ctx.memberTokens = [];
    for (let i = 0; i < (MODE === 'smoke' ? 4 : 20); i++)
      ctx.memberTokens.push((await ctx.emb.api.user('member')).token);
  }

  const scenario = async (ids, fn) => {
    const active = ids.filter((id) => want(row(id).scenario));
    if (active.length === 0) {
      for (const id of ids) row(id).skipped = true;
      return;
    }
    try {
      await fn();
    } catch (err) {
      await fail(active, err);
      // A server that died is the likeliest reason: say which, how, and what it logged last.
      for (const inst of [
        ctx.emb,
        ctx.clu,
        ctx.off,
        ctx.emr,
        ctx.bare && { name: 'bare Socket.IO', proc: ctx.bare.proc },
      ]) {
        if (!inst || !inst.proc || inst.proc.alive()) continue;
        if (inst.reported) continue;
        inst.reported = true;
        const { exitCode, signalCode } = inst.proc.child;
        const tail = inst.proc.logTail(15);
        for (const id of active)
          note(
            id,
            `${inst.name} exited during the run (code ${exitCode}, signal ${signalCode}); its last output:\n${tail}`,
          );
        log(`${inst.name} exited (code ${exitCode}, signal ${signalCode}); last output:\n${tail}`);
        KEEP_FOR_DIAGNOSIS.value = true;
      }
    }
  };

  // Peers: raw Fastify (body = OnAir's own answer), bare Socket.IO.
  if (want('P1')) {
    await scenario(['P1a', 'P1b', 'P1c', 'P1d', 'P1e', 'P3a', 'P3b', 'P7a'], async () => {
      const body = await ctx.emb.api.call('GET', `/api/v1/streams/${ctx.embStream.id}`, {
        expect: [200],
      });
      const bodyFile = path.join(TMP, 'stream-body.json');
      fs.writeFileSync(bodyFile, body.text);
      const port = await freePort();
      const proc = startProcess({
        name: 'raw-fastify',
        cmd: process.execPath,
        args: [path.join(__dirname, 'peers', 'raw-fastify.js')],
        env: { PATH: process.env.PATH, PORT: String(port), BENCH_BODY_FILE: bodyFile },
        cwd: ROOT,
        cpu: PIN.server,
      });
      ctx.fastify = { url: `http://127.0.0.1:${port}`, proc };
      await waitReady(
        proc,
        async () =>
          (await fetch(`${ctx.fastify.url}/health/ready`).catch(() => null))?.status === 200,
      );
      const same = await (
        await fetch(`${ctx.fastify.url}/api/v1/streams/${ctx.embStream.id}`)
      ).text();
      if (same !== body.text)
        note('P1a', 'raw Fastify body differs from OnAir body (serialisation order)');
      const nestPort = await freePort();
      const nestProc = startProcess({
        name: 'bare-nest',
        cmd: process.execPath,
        args: [path.join(__dirname, 'peers', 'bare-nest.js')],
        env: { PATH: process.env.PATH, PORT: String(nestPort), BENCH_BODY_FILE: bodyFile },
        cwd: ROOT,
        cpu: PIN.server,
      });
      ctx.bareNest = { url: `http://127.0.0.1:${nestPort}`, proc: nestProc };
      await waitReady(
        nestProc,
        async () =>
          (await fetch(`${ctx.bareNest.url}/health/ready`).catch(() => null))?.status === 200,
      );
      note(
        'P1a',
        `body ${body.text.length} B; OnAir answers with ${[...body.headers.keys()].length} headers, raw Fastify with its defaults`,
      );
    });
  }
  if (want('P4') || want('P5')) {
    const port = await freePort();
    const proc = startProcess({
      name: 'bare-socketio',
      cmd: process.execPath,
      args: [
        '--expose-gc',
        '-r',
        path.join(__dirname, 'lib', 'heap-probe.js'),
        path.join(__dirname, 'peers', 'bare-socketio.js'),
      ],
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        BENCH_HEAP_FILE: path.join(TMP, 'bare-heap.json'),
      },
      cwd: ROOT,
      cpu: PIN.server,
    });
    ctx.bare = {
      url: `http://127.0.0.1:${port}`,
      proc,
      heapFile: path.join(TMP, 'bare-heap.json'),
    };
    ctx.bare.heap = () => readHeap({ name: 'bare Socket.IO', heapFile: ctx.bare.heapFile, proc });
    await waitReady(
      proc,
      async () => (await fetch(`${ctx.bare.url}/health/ready`).catch(() => null))?.status === 200,
    );
  }

  if (want('P1') || want('P3') || want('P7') || ARGS.ab.length)
    await scenario(
      ['P1a', 'P1b', 'P1c', 'P1d', 'P1e', 'P3a', 'P3b', 'P7a', ...ctx.ab.map((a) => a.row)],
      () => (ARGS.abTogether ? abTogether(ctx) : throughputGroup(ctx)),
    );
  // Instances no longer needed are stopped so they do not share the server CPU.
  if (ctx.off) await stopInstance(ctx.off);
  for (const ab of ctx.ab) await stopInstance(ab.inst);
  if (ctx.emr) await stopInstance(ctx.emr);
  if (ctx.fastify) await ctx.fastify.proc.stop();
  if (ctx.bareNest) await ctx.bareNest.proc.stop();
  await scenario(['P2a', 'P2b'], () => hooksScenario(ctx));
  await scenario(['P8a', 'P8b', 'P9a', 'P9b'], () => checksScenario(ctx));
  await scenario(['P9c'], () => socketHeartbeats(ctx, ctx.clu, ctx.heartbeatRoomId));
  if (ctx.clu) await stopInstance(ctx.clu);
  await scenario(['P7b'], () => burstScenario(ctx));
  await scenario(['P6'], () => rangeScenario(ctx));
  await scenario(['P5a', 'P5b', 'P5c'], () => broadcastScenario(ctx));
  await scenario(['P4a', 'P4b'], () => idleSocketsScenario(ctx));

  for (const p of ctx.pools) await p.close().catch(() => undefined);
  if (ctx.bare) await ctx.bare.proc.stop();
  if (ctx.emb) await stopInstance(ctx.emb);
  for (const p of ctx.cleanupProcs) await p.stop().catch(() => undefined);

  meta.finishedAt = new Date().toISOString();
  meta.elapsedSec = (Date.now() - t0) / 1000;
  meta.machine['load average at end'] = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  meta.details = details;

  if (profileDir)
    meta.profiles = summarizeProfiles(
      profileDir,
      Object.fromEntries(
        ['emb', 'off', 'emr', 'clu', ...ctx.ab.map((a) => a.key)]
          .filter((k) => ctx[k])
          .map((k) => [ctx[k].name, ctx[k].bootMs]),
      ),
    );
  for (const r of ROWS) judge(r);
  return meta;
}

/** Summaries of the OnAir CPU profiles, start-up (boot + 2 s of setup) left out. */
function summarizeProfiles(dir, bootMsByName) {
  const outDir = path.join(ARGS.out, 'profiles');
  fs.mkdirSync(outDir, { recursive: true });
  const written = [];
  let files = [];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return written;
  }
  for (const f of files) {
    const skip = (bootMsByName[f.replace(/\.cpuprofile$/, '')] || 0) + 2000;
    const s = profileSummary.summarize(
      JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')),
      30,
      skip,
    );
    const md = path.join(outDir, `${MODE}-${f.replace(/\.cpuprofile$/, '')}.md`);
    fs.writeFileSync(
      md,
      profileSummary.toMarkdown(
        `${f} (first ${(skip / 1000).toFixed(1)} s of start-up and setup left out)`,
        s,
      ),
    );
    fs.copyFileSync(path.join(dir, f), path.join(outDir, `${MODE}-${f}`));
    written.push(path.relative(ROOT, md));
  }
  return written;
}

async function cleanup() {
  await stopAll();
  for (const c of cleanups.reverse())
    await Promise.resolve()
      .then(c)
      .catch((err) => log(`cleanup: ${err.message}`));
  if (!ARGS.keep && !KEEP_FOR_DIAGNOSIS.value) fs.rmSync(TMP, { recursive: true, force: true });
  else log(`kept ${TMP}${KEEP_FOR_DIAGNOSIS.value ? ' (a server died: its logs are there)' : ''}`);
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) {
      killAllSync();
      process.exit(130);
    }
    interrupted = true;
    log(`${sig}: stopping servers and cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

main()
  .then(async (meta) => {
    await cleanup();
    fs.mkdirSync(ARGS.out, { recursive: true });
    const base = MODE === 'smoke' ? 'smoke' : 'latest';
    const rows = ROWS.map(({ subjectStats, peerStats, ...r }) => ({
      ...r,
      subjectStats,
      peerStats,
    }));
    fs.writeFileSync(
      path.join(ARGS.out, `${base}.json`),
      JSON.stringify({ meta, rows }, null, 2) + '\n',
    );
    fs.writeFileSync(
      path.join(ARGS.out, `${base}.md`),
      markdown({ rows: ROWS, meta, informational: INFORMATIONAL }) + '\n',
    );
    process.stdout.write(`\n${consoleTable(ROWS, INFORMATIONAL)}\n\n`);
    log(
      `wrote ${path.relative(process.cwd(), path.join(ARGS.out, base + '.json'))} and ${base}.md`,
    );
    const broken = ROWS.filter((r) => r.verdict === 'ERROR');
    const missed = ROWS.filter((r) => r.verdict === 'FAIL');
    if (broken.length) {
      process.stderr.write(
        `\nbench: ${broken.length} row(s) could not be measured: ${broken.map((r) => `${r.id} (${r.error})`).join('; ')}\n`,
      );
      process.exit(1);
    }
    if (missed.length && ARGS.strict && !INFORMATIONAL) process.exit(1);
    process.exit(0);
  })
  .catch(async (err) => {
    process.stderr.write(`\nbench: the harness failed: ${err && err.stack ? err.stack : err}\n`);
    await cleanup().catch(() => undefined);
    process.exit(1);
  });
