'use strict';
// Context for P1 (informational row P1e): NestJS 11 on the Fastify adapter with nothing of
// OnAir's — no global prefix hooks, guards, pipes, filters, logging or metrics — answering
// GET /api/v1/streams/:id with the same JSON body as raw-fastify.js. raw Fastify ÷ this is the
// framework's own per-request cost, which no change inside OnAir can remove.

require('reflect-metadata');
const fs = require('node:fs');
const { Module, Controller, Get, Param } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');

const port = Number(process.env.PORT || 3902);
const body = JSON.parse(fs.readFileSync(process.env.BENCH_BODY_FILE, 'utf8'));

class StreamsController {
  get(_id) {
    return body;
  }
}
Controller('api/v1/streams')(StreamsController);
Get(':id')(
  StreamsController.prototype,
  'get',
  Object.getOwnPropertyDescriptor(StreamsController.prototype, 'get'),
);
Param('id')(StreamsController.prototype, 'get', 0);

class HealthController {
  ready() {
    return { status: 'ok' };
  }
}
Controller('health')(HealthController);
Get('ready')(
  HealthController.prototype,
  'ready',
  Object.getOwnPropertyDescriptor(HealthController.prototype, 'ready'),
);

class AppModule {}
Module({ controllers: [StreamsController, HealthController] })(AppModule);

(async () => {
  const app = await NestFactory.create(AppModule, new FastifyAdapter({ logger: false }), {
    logger: false,
  });
  await app.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
})().catch((err) => {
  process.stderr.write(`bare-nest failed: ${err.message}\n`);
  process.exit(1);
});
