'use strict';
// Preloaded into a measured OnAir process (`node -r bench/lib/metrics-off.js dist/src/main.js`)
// to measure it with metric recording switched off, without changing its code: every prom-client
// recording call becomes a no-op and the default process metrics (event-loop-delay monitor,
// GC observer) are not installed. What is left is exactly the work the app does around the
// calls (the hooks that time each request, the log line), so on ÷ off is the cost of recording.

const prom = require('prom-client');

const noopChild = {
  inc() {},
  dec() {},
  set() {},
  observe() {},
  reset() {},
  setToCurrentTime() {},
  startTimer: () => () => 0,
  remove() {},
};
for (const Metric of [prom.Counter, prom.Gauge, prom.Histogram, prom.Summary]) {
  const p = Metric.prototype;
  p.labels = function () {
    return noopChild;
  };
  for (const m of ['inc', 'dec', 'set', 'observe'])
    if (typeof p[m] === 'function') p[m] = function () {};
}
prom.collectDefaultMetrics = function () {};
process.env.BENCH_METRICS_OFF = '1';
