'use strict';
// Ceiling for P1/P3/P7: plain Fastify answering GET /api/v1/streams/:id with the very JSON body
// OnAir returned for the stream under test (read from BENCH_BODY_FILE). No hooks, no logging,
// no validation: what the HTTP stack alone costs on this machine.

const fs = require('node:fs');
const Fastify = require('fastify');

const port = Number(process.env.PORT || 3900);
const body = JSON.parse(fs.readFileSync(process.env.BENCH_BODY_FILE, 'utf8'));

const app = Fastify({ logger: false });
app.get('/api/v1/streams/:id', async () => body);
app.get('/health/ready', async () => ({ status: 'ok' }));

app.listen({ port, host: '127.0.0.1' }).catch((err) => {
  process.stderr.write(`raw-fastify failed: ${err.message}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
