'use strict';
// Small helpers shared by the runner, the peers and the socket workers: statistics,
// free ports, polling with a deadline, and wall-clock timestamps comparable across processes.

const net = require('node:net');
const { performance } = require('node:perf_hooks');

/** Milliseconds since the epoch with sub-millisecond precision; comparable between processes on one machine. */
function nowMs() {
  return performance.timeOrigin + performance.now();
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `fn` until it returns a truthy value or the deadline passes (then throws `message`). */
async function until(
  fn,
  { timeoutMs = 30000, intervalMs = 100, message = 'condition not met' } = {},
) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline)
      throw new Error(`${message} (after ${timeoutMs} ms)${lastErr ? `: ${lastErr.message}` : ''}`);
    await sleep(intervalMs);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** {median, min, max, runs} over the finite numbers of xs (null when there are none). */
function summarize(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return null;
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), runs: v };
}

/** Nearest-rank percentile of an unsorted array (p in 0..100). */
function percentile(xs, p) {
  if (xs.length === 0) return null;
  const v = Float64Array.from(xs).sort();
  const rank = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[rank];
}

/**
 * Latency histogram with fixed 0.1 ms buckets up to 60 s (everything above lands in the last
 * bucket). Cheap enough to record every delivery of a 1,000-member broadcast.
 */
class LatencyHistogram {
  constructor(resolutionMs = 0.1, maxMs = 60000) {
    this.res = resolutionMs;
    this.buckets = new Uint32Array(Math.ceil(maxMs / resolutionMs) + 1);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }
  record(ms) {
    const v = ms < 0 ? 0 : ms;
    const i = Math.min(this.buckets.length - 1, Math.floor(v / this.res));
    this.buckets[i]++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }
  merge(other) {
    for (let i = 0; i < this.buckets.length; i++) this.buckets[i] += other.buckets[i];
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }
  percentile(p) {
    if (this.count === 0) return null;
    const target = Math.ceil((p / 100) * this.count);
    let acc = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      acc += this.buckets[i];
      if (acc >= target) return (i + 1) * this.res;
    }
    return this.max;
  }
  /** Sparse form for IPC: [[bucketIndex, count], ...]. */
  toSparse() {
    const out = [];
    for (let i = 0; i < this.buckets.length; i++)
      if (this.buckets[i]) out.push([i, this.buckets[i]]);
    return { res: this.res, count: this.count, sum: this.sum, max: this.max, sparse: out };
  }
  static fromSparse(s) {
    const h = new LatencyHistogram(s.res);
    for (const [i, c] of s.sparse) h.buckets[i] += c;
    h.count = s.count;
    h.sum = s.sum;
    h.max = s.max;
    return h;
  }
}

/** CPU seconds (user+system) a process has used so far, from /proc; null when unreadable. */
function procCpuSeconds(pid) {
  try {
    const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (clock ticks); _SC_CLK_TCK is 100 on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Resident set size of a process in bytes, from /proc; null when unreadable. */
function procRss(pid) {
  try {
    const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function fmtNum(v, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

module.exports = {
  nowMs,
  sleep,
  until,
  freePort,
  median,
  summarize,
  percentile,
  LatencyHistogram,
  procCpuSeconds,
  procRss,
  fmtNum,
};
