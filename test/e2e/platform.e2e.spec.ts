import { startApp, TestApp } from '../helpers/app';
import { suiteModes } from '../helpers/modes';
import { until } from '../helpers/wait';
import { createStream, nginxBody, nginxHook } from '../media/hook-client';
import { connectChat } from './chat-socket-client';

const modes = suiteModes('platform');

describe.each(modes)('platform (%s)', (mode) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(mode, {
      THROTTLE_LIMIT: '30',
      THROTTLE_TTL_SEC: '60',
      METRICS_TOKEN: 'metrics-token-123',
      CORS_ORIGINS: 'https://app.example.com',
      BODY_LIMIT_BYTES: '4096',
    });
  });
  afterAll(async () => t?.close());

  it('answers liveness, readiness and the health summary', async () => {
    expect((await t.http.get('/health/live')).body).toEqual({ status: 'ok' });
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.details.database.status).toBe('up');
    expect(ready.body.details.redis?.status).toBe(mode === 'clustered' ? 'up' : undefined);

    // Its own live stream, chat socket and online viewer, so the counts are of things it made
    // (whatever other tests left behind is in `before`).
    const before = (await t.http.get('/health')).body;
    const owner = await t.http.user('summary');
    const roomId = (await t.http.post('/api/v1/rooms', { name: 'summary' }, owner.token)).body
      .id as string;
    const s = await createStream(t.http, owner.token, 'summary', { roomId });
    expect((await nginxHook(t.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(200);
    const chat = await connectChat(t.url, { token: owner.token });
    try {
      expect(
        (await t.http.post(`/api/v1/rooms/${roomId}/heartbeat`, { viewerId: 'summary-viewer' }))
          .status,
      ).toBe(204);
      const expected = {
        liveStreams: before.liveStreams + 1,
        websocketConnections: before.websocketConnections + 1,
        onlineViewers: before.onlineViewers + 1,
      };
      const h = await until(
        async () => {
          const r = await t.http.get('/health');
          return r.body.websocketConnections === expected.websocketConnections ? r : undefined;
        },
        { timeoutMs: 3000, message: 'the chat socket was never counted' },
      );
      expect(h.status).toBe(200);
      expect(h.body).toMatchObject({
        status: 'UP',
        version: expect.any(String),
        uptimeSec: expect.any(Number),
        ...expected,
        cpuUsage: expect.any(Number),
        memoryUsageMb: expect.any(Number),
        checks: { database: 'up', redis: mode === 'clustered' ? 'up' : 'disabled' },
      });
      expect(new Date(h.body.timestamp).getTime()).toBeGreaterThan(Date.now() - 60000);
    } finally {
      chat.close();
      await nginxHook(t.http, nginxBody('publish_done', s.id, `key=${s.key}`));
    }
  });

  it('serves Swagger at /docs and /docs-json with bearer auth and every auth route', async () => {
    const ui = await fetch(`${t.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
    const doc = (await t.http.get('/docs-json')).body;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const p of [
      '/api/v1/auth/register',
      '/api/v1/auth/login',
      '/api/v1/auth/me',
      '/health',
      '/health/ready',
      '/health/live',
    ])
      expect(Object.keys(doc.paths)).toContain(p);
    expect(doc.components.schemas.ErrorResponseDto).toBeDefined();
    expect(doc.components.schemas.RegisterDto.properties.username.example).toBeDefined();
  });

  it('protects /metrics with METRICS_TOKEN under every spelling of the path', async () => {
    for (const p of [
      '/metrics',
      '/metrics/',
      '//metrics',
      '/METRICS',
      '/%6detrics',
      '/metrics?x=1',
      '/metrics/../metrics',
    ]) {
      const r = await t.http.get(p);
      expect({ p, status: r.status }).toEqual({ p, status: 401 });
    }
    expect((await t.http.get('/metrics', 'wrong-token-xyz')).status).toBe(401);
    const ok = await t.http.get('/metrics', 'metrics-token-123');
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('process_cpu_user_seconds_total');
  });

  it('records HTTP metrics by route template, and unknown paths as one "unmatched" series', async () => {
    await t.http.get('/api/v1/auth/me');
    for (let i = 0; i < 20; i++) await t.http.get(`/scan/${Math.random().toString(36).slice(2)}`);
    const text = (await t.http.get('/metrics', 'metrics-token-123')).text;
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/api\/v1\/auth\/me",status_code="401"\} \d+/,
    );
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="unmatched",status_code="404"\} (\d+)/,
    );
    expect(text).not.toContain('/scan/');
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/auth\/me"/,
    );
    expect(text).toContain('http_requests_in_flight');
    for (const name of [
      'websocket_connections',
      'live_streams',
      'stream_publish_attempts_total',
      'stream_viewers',
      'online_viewers',
      'chat_messages_total',
      'rate_limited_total',
      'video_bytes_served_total',
      'alert_notifications_total',
      'websocket_errors_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('allows only CORS_ORIGINS', async () => {
    const ok = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const evil = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses an oversized body with 413 in the error shape', async () => {
    const r = await t.http.post('/api/v1/auth/register', {
      username: 'big_body',
      password: 'p'.repeat(8000),
    });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({
      statusCode: 413,
      code: 'PAYLOAD_TOO_LARGE',
      requestId: expect.any(String),
    });
  });

  it('throttles by client IP with 429 + Retry-After, ignores a spoofed X-Forwarded-For, never throttles /health or /metrics', async () => {
    let limited: Awaited<ReturnType<typeof t.http.get>> | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const r = await t.http.get('/api/v1/auth/me', undefined, {
        'x-forwarded-for': `10.0.${i}.${i}`,
      });
      if (r.status === 429) limited = r;
    }
    expect(limited).toBeDefined();
    expect(limited!.body).toMatchObject({
      statusCode: 429,
      code: 'RATE_LIMITED',
      error: 'Too Many Requests',
    });
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    for (let i = 0; i < 40; i++) {
      expect((await t.http.get('/health/live')).status).toBe(200);
    }
    expect((await t.http.get('/metrics', 'metrics-token-123')).status).toBe(200);
    expect((await t.http.get('/metrics', 'metrics-token-123')).text).toMatch(
      /rate_limited_total\{scope="http"\} [1-9]/,
    );
  });

  it('throttles GET /streams/:id (a plain Fastify route) like the Nest routes: own budget per route and IP, 429 + Retry-After', async () => {
    const owner = await t.http.user('read-limit');
    const s = await createStream(t.http, owner.token, 'read limit');
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof t.http.get>> | undefined;
    for (let i = 0; i < 40; i++) {
      const r = await t.http.get(`/api/v1/streams/${s.id}`);
      statuses.push(r.status);
      if (r.status === 429) {
        limited = r;
        break;
      }
    }
    const first = statuses.indexOf(429);
    expect(first).toBeGreaterThan(0);
    expect(statuses.slice(0, first)).toEqual(Array.from({ length: first }, () => 200));
    expect(limited?.body).toMatchObject({
      statusCode: 429,
      code: 'RATE_LIMITED',
      error: 'Too Many Requests',
      requestId: limited?.headers.get('x-request-id'),
    });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    // A bad id is counted too (the limit runs before the id is read), and other routes keep theirs.
    expect((await t.http.get('/api/v1/streams/not-a-uuid')).status).toBe(429);
    expect((await t.http.get('/api/v1/streams?limit=1')).status).toBe(200);
  });
});

describe('access log', () => {
  it('has one JSON line per request with requestId, method, route, statusCode and ms — and never a query string', async () => {
    const t = await startApp('embedded', { LOG_LEVEL: 'info' });
    try {
      await t.http.get('/health/live?secret=top-secret-value', undefined, {
        'x-request-id': 'log-check-2',
      });
      const lines = t.logs().map((l) => JSON.parse(l) as Record<string, unknown>);
      const line = lines.find((l) => l.requestId === 'log-check-2');
      expect(line).toMatchObject({
        level: 'info',
        method: 'GET',
        route: '/health/live',
        statusCode: 200,
        ms: expect.any(Number),
        time: expect.any(String),
      });
      expect(t.logs().join('\n')).not.toContain('top-secret-value');
    } finally {
      await t.close();
    }
  });
});
