'use strict';
// HTTP load with autocannon: closed-loop "as fast as it goes" runs for throughput, and fixed-rate
// runs for latency. Besides autocannon's counters it records each response's latency at 0.1 ms
// resolution (autocannon's own histogram keeps whole milliseconds) and the CPU used by the load
// generator and by the server during the run, so a reader can tell which side was the limit.

const autocannon = require('autocannon');
const { LatencyHistogram, procCpuSeconds } = require('./util');

/**
 * autocannon's stock `overallRate` refills every connection's quota at the top of each second,
 * so all connections fire their whole quota at once and then idle: that measures burst latency,
 * not latency at a steady rate. "smooth" pacing gives each connection one request per tick
 * (tick = connections / rate) with the connections' phases spread evenly over the tick, so the
 * server sees evenly spaced arrivals at the requested rate. It drives autocannon 9's client
 * fields (rate, reqsMadeThisSecond, paused, rateInterval, _doRequest); if those are not there
 * it falls back to the stock behaviour and says so.
 */
function planSmoothRate(rate, maxConnections) {
  // Whole-millisecond ticks (Node timers are ms-granular): pick the tick that gives about
  // maxConnections connections, then the connection count that gives the rate exactly.
  const tickMs = Math.max(2, Math.round((1000 * maxConnections) / rate));
  const connections = Math.max(1, Math.round((rate * tickMs) / 1000));
  return { tickMs, connections, rate: (connections * 1000) / tickMs };
}

function smoothSetup(tickMs, connections, inner) {
  let index = 0;
  const state = { supported: true };
  const setupClient = (client) => {
    if (inner) inner(client, index);
    const i = index++;
    if (!('reqsMadeThisSecond' in client) || typeof client._doRequest !== 'function') {
      state.supported = false;
      return;
    }
    client.rate = 1;
    client.reqsMadeThisSecond = 1; // nothing goes out on connect; the first tick releases it
    const tick = () => {
      if (client.destroyed) return;
      client.reqsMadeThisSecond = 0;
      if (client.paused) {
        client.paused = false;
        client._doRequest();
      }
    };
    // The constructor installs its own 1 s refill right after setupClient returns: replace it.
    setImmediate(() => {
      clearInterval(client.rateInterval);
      const phase = (i / connections) * tickMs;
      const start = setTimeout(() => {
        tick();
        client.rateInterval = setInterval(tick, tickMs);
      }, phase);
      const destroy = client.destroy.bind(client);
      client.destroy = () => {
        clearTimeout(start);
        destroy();
      };
    });
  };
  return { setupClient, state };
}

/**
 * One autocannon run. Options: url, method, headers, body, requests, connections, durationSec,
 * rate (requests/s overall; omitted = closed loop), pacing ('smooth' | 'stock'), amount,
 * setupClient(client, index), serverPids (for server CPU), recordLatency (0.1 ms histogram).
 */
async function load(o) {
  const opts = {
    url: o.url,
    method: o.method || 'GET',
    headers: o.headers,
    body: o.body,
    requests: o.requests,
    connections: o.connections || 50,
    pipelining: 1,
    timeout: o.timeoutSec || 10,
    excludeErrorStats: true,
  };
  if (o.amount) opts.amount = o.amount;
  else opts.duration = o.durationSec;
  let pacing = 'closed-loop';
  let smooth = null;
  if (o.rate) {
    if (o.pacing === 'stock') {
      opts.overallRate = Math.round(o.rate);
      // autocannon would "correct" for coordinated omission with an expected interval of
      // ceil(1 / per-connection rate) = 1 ms, inventing samples for every response over 1 ms.
      opts.ignoreCoordinatedOmission = true;
      pacing = 'stock overallRate';
      if (o.setupClient) {
        let idx = 0;
        opts.setupClient = (c) => o.setupClient(c, idx++);
      }
    } else {
      const plan = planSmoothRate(o.rate, o.connections || 50);
      opts.connections = plan.connections;
      smooth = smoothSetup(plan.tickMs, plan.connections, o.setupClient);
      opts.setupClient = smooth.setupClient;
      pacing = `smooth (${plan.connections} conns × 1 req / ${plan.tickMs} ms = ${Math.round(plan.rate)} req/s)`;
    }
  } else if (o.setupClient) {
    let idx = 0;
    opts.setupClient = (c) => o.setupClient(c, idx++);
  }

  // Paced runs always use our own histogram: autocannon's would apply its coordinated-omission
  // correction with a 1 ms expected interval (the smooth pacer's per-tick quota is 1).
  const hist = o.recordLatency || o.rate ? new LatencyHistogram(0.01, 30000) : null;
  const pids = o.serverPids || [];
  const cpu0 = process.cpuUsage();
  const srv0 = pids.map(procCpuSeconds);
  const t0 = process.hrtime.bigint();
  const inst = autocannon(opts);
  if (hist)
    inst.on('response', (_client, statusCode, _bytes, ms) => statusCode < 400 && hist.record(ms));
  const r = await inst;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const srv1 = pids.map(procCpuSeconds);
  const serverCpu =
    pids.length && srv0.every((v) => v !== null) && srv1.every((v) => v !== null)
      ? srv1.reduce((a, v, i) => a + v - srv0[i], 0) / wall
      : null;
  if (smooth && !smooth.state.supported)
    pacing = 'stock overallRate (smooth pacing unsupported by this autocannon)';

  const statusCodes = {};
  for (const [k, v] of Object.entries(r.statusCodeStats || {})) statusCodes[k] = v.count;
  const ok = (r['2xx'] || 0) + (r['3xx'] || 0);
  const duration = r.duration || o.durationSec;
  return {
    rps: ok / duration,
    total: r.requests.total,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
    bytesPerSec: r.throughput.total / duration,
    durationSec: duration,
    connections: opts.connections,
    pacing,
    latency: hist
      ? {
          p50: hist.percentile(50),
          p90: hist.percentile(90),
          p99: hist.percentile(99),
          max: hist.max,
          mean: hist.count ? hist.sum / hist.count : null,
          samples: hist.count,
        }
      : {
          p50: r.latency.p50,
          p90: r.latency.p90,
          p99: r.latency.p99,
          max: r.latency.max,
          mean: r.latency.average,
          samples: r.latency.totalCount,
        },
    generatorCpu: (cpu.user + cpu.system) / 1e6 / wall,
    serverCpu,
  };
}

module.exports = { load, planSmoothRate };
