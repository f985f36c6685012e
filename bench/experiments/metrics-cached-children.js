'use strict';
// Experiment: HTTP metrics recorded through cached label children. MetricsService.httpFinished
// calls counter.labels(method, route, status) and histogram.labels(...) on every request; each
// call validates the label names and builds a hash key by sorting them. The label sets are few
// and fixed (method × route template × status), so the children can be looked up once and kept
// in a Map keyed by one string. This preload patches MetricsService.prototype.httpFinished that
// way (same series, same values) to measure the difference.

const Module = require('node:module');

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const load = Module._load;
Module._load = function (request) {
  const exp = load.apply(this, arguments);
  if (
    /metrics\.service(\.js)?$/.test(request) &&
    exp &&
    exp.MetricsService &&
    !exp.MetricsService.__benchPatched
  ) {
    exp.MetricsService.__benchPatched = true;
    const cache = new Map();
    exp.MetricsService.prototype.httpFinished = function httpFinished(
      method,
      route,
      statusCode,
      seconds,
    ) {
      this.httpInFlight.dec();
      const m = HTTP_METHODS.has(method) ? method : 'OTHER';
      const key = `${m} ${statusCode} ${route}`;
      let c = cache.get(key);
      if (c === undefined) {
        const s = String(statusCode);
        c = {
          count: this.httpRequests.labels(m, route, s),
          duration: this.httpDuration.labels(m, route, s),
        };
        cache.set(key, c);
      }
      c.count.inc();
      c.duration.observe(seconds);
    };
  }
  return exp;
};
