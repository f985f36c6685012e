'use strict';
// Experiment: video bytes read in 1 MiB chunks instead of fs.createReadStream's default 64 KiB.
// OnAir streams files with @fastify/send; every chunk is one read() on the libuv thread pool and
// one write() to the socket, so a 1 MiB Range answer costs 16 of each. This preload passes
// highWaterMark: 1 MiB to send() (which hands it to fs.createReadStream) to measure the difference.

const Module = require('node:module');

const load = Module._load;
Module._load = function (request) {
  const exp = load.apply(this, arguments);
  if (request === '@fastify/send' && exp && typeof exp.send === 'function' && !exp.__benchPatched) {
    const send = exp.send;
    const patched = Object.assign(function (req, path, options) {
      return send.call(this, req, path, { highWaterMark: 1024 * 1024, ...(options || {}) });
    }, send);
    return { ...exp, send: patched, default: patched, __benchPatched: true };
  }
  return exp;
};
