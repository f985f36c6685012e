'use strict';
// Experiment: the root logger without pino's `redact` option. OnAir's logger redacts a list of
// paths, several with wildcards ("*.password"), which pino applies to every line, including the
// one access-log line per request that never carries a secret. This preload drops the option to
// measure what redaction costs per request.

const pinoPath = require.resolve('pino');
const pino = require(pinoPath);

function wrapped(opts, dest) {
  if (opts && typeof opts === 'object' && opts.redact) {
    const { redact: _drop, ...rest } = opts;
    return pino(rest, dest);
  }
  return pino(opts, dest);
}
Object.assign(wrapped, pino);
wrapped.default = wrapped;
wrapped.pino = wrapped;
require.cache[pinoPath].exports = wrapped;
