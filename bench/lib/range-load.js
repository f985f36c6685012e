'use strict';
// Closed-loop load of large Range GETs with Node's own HTTP client. autocannon parses responses
// with http-parser-js (a JavaScript parser that walks every body byte), which tops out near
// 50 MiB/s on one core here — it, not the servers, would be measured. Node's client uses the
// native llhttp parser and hands body chunks over without copying them again, so the load
// generator stays well below the servers' limits. Bodies are counted and dropped.

const http = require('node:http');
const { LatencyHistogram, procCpuSeconds } = require('./util');

/**
 * url, connections, durationSec, nextRange() → "bytes=a-b", expectBytes (per response),
 * serverPids. Returns the same shape as http-load's load().
 */
async function rangeLoad({
  url,
  connections,
  durationSec,
  nextRange,
  expectBytes,
  serverPids = [],
}) {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: connections,
    maxFreeSockets: connections,
  });
  const hist = new LatencyHistogram(0.01, 30000);
  const statusCodes = {};
  let ok = 0;
  let errors = 0;
  let wrongSize = 0;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const srv0 = serverPids.map(procCpuSeconds);
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + durationSec * 1000;

  const one = () =>
    new Promise((resolve) => {
      const started = process.hrtime.bigint();
      const req = http.get(url, { agent, headers: { range: nextRange() } }, (res) => {
        let n = 0;
        res.on('data', (chunk) => (n += chunk.length));
        res.on('end', () => {
          statusCodes[res.statusCode] = (statusCodes[res.statusCode] || 0) + 1;
          if (res.statusCode === 206) {
            ok++;
            bytes += n;
            if (expectBytes && n !== expectBytes) wrongSize++;
            hist.record(Number(process.hrtime.bigint() - started) / 1e6);
          }
          resolve();
        });
        res.on('error', () => {
          errors++;
          resolve();
        });
      });
      req.setTimeout(10000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
    });

  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) await one();
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const srv1 = serverPids.map(procCpuSeconds);
  agent.destroy();
  return {
    rps: ok / wall,
    total: ok + errors,
    ok,
    non2xx: Object.entries(statusCodes)
      .filter(([c]) => c !== '206')
      .reduce((a, [, n]) => a + n, 0),
    errors,
    timeouts: 0,
    wrongSize,
    statusCodes,
    bytesPerSec: bytes / wall,
    durationSec: wall,
    connections,
    pacing: 'closed-loop (node:http client)',
    latency: {
      p50: hist.percentile(50),
      p90: hist.percentile(90),
      p99: hist.percentile(99),
      max: hist.max,
      mean: hist.count ? hist.sum / hist.count : null,
      samples: hist.count,
    },
    generatorCpu: (cpu.user + cpu.system) / 1e6 / wall,
    serverCpu:
      serverPids.length && srv0.every((v) => v !== null)
        ? srv1.reduce((a, v, i) => a + v - srv0[i], 0) / wall
        : null,
  };
}

module.exports = { rangeLoad };
