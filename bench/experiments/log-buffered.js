'use strict';
// Experiment: the log destination batching its writes. OnAir logs to
// pino.destination({ sync: false }), which issues one write(2) per log line (one per request for
// the access log). With minLength the stream gathers lines and writes ≥ 4 KiB at a time (pino
// flushes it on exit). This preload adds minLength: 4096 to measure what the per-line writes cost.

const pinoPath = require.resolve('pino');
const pino = require(pinoPath);
const destination = pino.destination;
pino.destination = function (opts) {
  if (opts && typeof opts === 'object' && !opts.minLength)
    return destination.call(this, { ...opts, minLength: 4096 });
  return destination.apply(this, arguments);
};
