'use strict';
// Experiment: the per-request AsyncLocalStorage context switched off. OnAir calls
// requestContext.enterWith() in its onRequest hook so that every log line of a request carries
// its requestId; on Node 20 an active AsyncLocalStorage installs promise hooks, which run on
// every promise the request creates. This preload turns enterWith into a no-op (log lines inside
// a request then lack requestId; the access log line has it explicitly) to measure that cost.

const Module = require('node:module');

const load = Module._load;
Module._load = function (request, _parent, _isMain) {
  const exp = load.apply(this, arguments);
  if (
    /request-context(\.js)?$/.test(request) &&
    exp &&
    exp.requestContext &&
    !exp.requestContext.__benchPatched
  ) {
    exp.requestContext.enterWith = function () {};
    // 0.2 enters the context once with run() around the request listener: call straight through.
    exp.requestContext.run = function (_store, fn, ...args) {
      return fn(...args);
    };
    exp.requestContext.__benchPatched = true;
  }
  return exp;
};
