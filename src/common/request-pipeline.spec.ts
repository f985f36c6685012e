import Fastify, { FastifyInstance } from 'fastify';
import { register } from 'prom-client';
import { Writable } from 'node:stream';
import { fakeConfig } from '../../test/helpers/fakes';
import { MetricsService } from '../metrics/metrics.service';
import { createLoggers } from './logger';
import { installRequestPipeline, MAX_JSON_DEPTH } from './request-pipeline';
import { requestIdOf } from './request-context';

/** The request pipeline on a real Fastify instance (no Nest): what every request goes through. */
describe('request pipeline', () => {
  let app: FastifyInstance;
  let lines: Record<string, unknown>[];
  const metrics = new MetricsService();

  beforeEach(async () => {
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n').filter(Boolean))
          lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    app = Fastify({ genReqId: requestIdOf });
    installRequestPipeline(
      app,
      fakeConfig({ metricsToken: 'metrics-token-123' }),
      metrics,
      createLoggers('info', sink).access,
    );
    app.get('/api/v1/things/:id', () => ({ ok: true }));
    app.post('/api/v1/things', () => ({ ok: true }));
    app.get('/api/v1/boom', () => {
      throw new Error('boom');
    });
    app.get('/metrics', () => 'ok');
    await app.ready();
  });
  afterEach(() => app.close());

  async function scrape(): Promise<string> {
    return register.metrics();
  }

  it('echoes a sane X-Request-Id and logs one access line with the route template and no query string', async () => {
    const r = await app.inject({
      url: '/api/v1/things/42?token=hunter2',
      headers: { 'x-request-id': 'pipe-1' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-request-id']).toBe('pipe-1');
    const access = lines.filter((l) => l.requestId === 'pipe-1');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      msg: 'request completed',
      method: 'GET',
      route: '/api/v1/things/:id',
      path: '/api/v1/things/42',
      statusCode: 200,
      ms: expect.any(Number),
    });
    // The same keys, in the same order, as the pino-written line it replaced.
    expect(Object.keys(access[0]!)).toEqual([
      'level',
      'time',
      'requestId',
      'method',
      'route',
      'path',
      'statusCode',
      'ms',
      'msg',
    ]);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('counts requests per route template and a 404 as "unmatched", and in-flight returns to zero', async () => {
    await app.inject({ url: '/api/v1/things/1' });
    await app.inject({ url: '/api/v1/things/2' });
    await app.inject({ url: '/scan/wp-admin.php' });
    const text = await scrape();
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/api\/v1\/things\/:id",status_code="200"\} [2-9]/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/things\/:id",status_code="200"\} \d+/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/things\/:id",status_code="200"\} [2-9]/,
    );
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="unmatched",status_code="404"\} \d+/,
    );
    expect(text).not.toContain('wp-admin');
    expect(text).toMatch(/^http_requests_in_flight 0$/m);
  });

  it('logs a 500 at error level and counts it', async () => {
    const r = await app.inject({ url: '/api/v1/boom', headers: { 'x-request-id': 'pipe-500' } });
    expect(r.statusCode).toBe(500);
    expect(lines.find((l) => l.requestId === 'pipe-500')).toMatchObject({
      level: 'error',
      msg: 'request failed',
      statusCode: 500,
    });
    expect(await scrape()).toMatch(
      /http_requests_total\{method="GET",route="\/api\/v1\/boom",status_code="500"\} [1-9]/,
    );
  });

  it('refuses /metrics without the bearer token in the contract error shape, and serves it with the token', async () => {
    const refused = await app.inject({ url: '/METRICS/', headers: { 'x-request-id': 'pipe-401' } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(refused.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'A valid metrics token is required',
      code: 'UNAUTHORIZED',
      requestId: 'pipe-401',
    });
    const ok = await app.inject({
      url: '/metrics',
      headers: { authorization: 'bearer metrics-token-123' },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('refuses a JSON body nested deeper than the limit with 400 in the contract error shape', async () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/things',
      headers: { 'content-type': 'application/json', 'x-request-id': 'pipe-deep' },
      payload: deep,
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: `JSON nesting is too deep (at most ${MAX_JSON_DEPTH} levels)`,
      code: 'VALIDATION_FAILED',
      requestId: 'pipe-deep',
    });
  });
});
