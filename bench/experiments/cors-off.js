'use strict';
// Experiment: @fastify/cors not registered (its hooks then run on no request), to measure what
// its global hooks cost a route that never uses it. Bound only: the feature is gone.

const Module = require('node:module');
const fp = require('fastify-plugin');

const noop = fp((_instance, _opts, done) => done(), { name: '@fastify/cors' });
const load = Module._load;
Module._load = function (request, _parent, _isMain) {
  if (request === '@fastify/cors') return Object.assign(noop, { default: noop });
  return load.apply(this, arguments);
};
