'use strict';
// Experiment: the request context set once per request by the HTTP server's 'request' event
// (AsyncLocalStorage.run around the whole request) instead of enterWith() in an onRequest hook.
// The store is created empty by run() and filled with the id when Fastify has generated it.
// Compared with no-request-context.js it tells whether the cost is enterWith itself or the
// promise hooks an active AsyncLocalStorage installs on Node 20.

const Module = require('node:module');
const http = require('node:http');

let ctx = null;
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event === 'request' && ctx)
    return ctx.run({ requestId: undefined }, () => emit.call(this, event, req, res));
  return emit.apply(this, arguments);
};

const load = Module._load;
Module._load = function (request) {
  const exp = load.apply(this, arguments);
  if (
    /request-context(\.js)?$/.test(request) &&
    exp &&
    exp.requestContext &&
    !exp.requestContext.__benchPatched
  ) {
    ctx = exp.requestContext;
    exp.requestContext.enterWith = function (store) {
      const s = this.getStore();
      if (s) s.requestId = store.requestId;
    };
    exp.requestContext.__benchPatched = true;
  }
  return exp;
};
