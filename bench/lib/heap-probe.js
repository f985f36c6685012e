'use strict';
// Preloaded into a measured server (`node --expose-gc -r bench/lib/heap-probe.js <main>`): on
// SIGUSR2 it runs a full garbage collection and writes the heap figures to BENCH_HEAP_FILE as
// JSON. This gives the heap of the server process from outside without any change to its code.

const fs = require('node:fs');

const file = process.env.BENCH_HEAP_FILE;
let seq = 0;

if (file) {
  process.on('SIGUSR2', () => {
    const gc = globalThis.gc;
    const write = () => {
      const m = process.memoryUsage();
      const body = JSON.stringify({
        pid: process.pid,
        seq: ++seq,
        gc: typeof gc === 'function',
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        rss: m.rss,
        at: Date.now(),
      });
      fs.writeFileSync(`${file}.tmp`, body);
      fs.renameSync(`${file}.tmp`, file);
    };
    if (typeof gc !== 'function') return write();
    // Two full collections with a turn of the event loop between them, so objects freed by
    // finalizers or weak callbacks of the first one are gone too.
    gc();
    setImmediate(() => {
      gc();
      setTimeout(() => {
        gc();
        write();
      }, 50);
    });
  });
}
