'use strict';
// Scrapes a URL at a fixed interval the way Prometheus does (keep-alive, whole body read) and
// reports each scrape's latency. Runs as its own process so that the load generator's event loop
// does not add to the measured latency. Usage: node scraper.js <url> <intervalMs> <durationMs>

const http = require('node:http');
const { nowMs, sleep } = require('./util');

const [url, intervalMs, durationMs] = [
  process.argv[2],
  Number(process.argv[3]),
  Number(process.argv[4]),
];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function scrape() {
  return new Promise((resolve) => {
    const t0 = nowMs();
    const req = http.get(url, { agent, headers: { accept: 'text/plain' } }, (res) => {
      let bytes = 0;
      res.on('data', (d) => (bytes += d.length));
      res.on('end', () => resolve({ ms: nowMs() - t0, status: res.statusCode, bytes }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ ms: nowMs() - t0, status: 0, error: err.message }));
  });
}

(async () => {
  const t0 = nowMs();
  const out = [];
  for (let i = 0; nowMs() - t0 < durationMs; i++) {
    const due = t0 + i * intervalMs;
    if (due > nowMs()) await sleep(due - nowMs());
    out.push(await scrape());
  }
  process.stdout.write(JSON.stringify(out));
  agent.destroy();
})();
