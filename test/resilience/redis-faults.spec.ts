import Redis from 'ioredis';
import { AppProcess, spawnApp } from '../helpers/process';
import { describeWithServices } from '../helpers/services';
import { until } from '../helpers/wait';
import { connectChat, emitAck } from '../security/support';
import {
  faultEnv,
  FaultEnv,
  isJsonLine,
  median,
  METRICS_TOKEN,
  metricValue,
  timed,
} from './support';

/**
 * Redis taken away from a real OnAir process (built app, real PostgreSQL, real Redis behind a
 * TCP proxy). Policy under test: routes that do not need Redis carry on at normal speed, the
 * global throttler fails open (counted + logged), login fails closed (503), nothing hangs, and
 * everything comes back on its own when Redis does.
 */
describeWithServices('Redis faults', () => {
  let fx: FaultEnv;
  let app: AppProcess;
  let user: { token: string; username: string; password: string };

  beforeAll(async () => {
    fx = await faultEnv({
      proxyRedis: true,
      extra: {
        LOGIN_THROTTLE_LIMIT: '5',
        LOGIN_THROTTLE_TTL_SEC: '60',
        THROTTLE_LIMIT: '100000',
        REDIS_COMMAND_TIMEOUT_MS: '1000',
      },
    });
    app = await spawnApp(fx.env);
    user = await app.http.user('redisfault');
  });
  afterAll(async () => {
    await app?.stop('SIGKILL');
    await fx?.cleanup();
  });
  afterEach(() => fx.redis!.restore());

  const me = () => app.http.get('/api/v1/auth/me', user.token);
  const metrics = async () => (await app.http.get('/metrics', METRICS_TOKEN)).text;
  const ready = async () => (await app.http.get('/health/ready')).status;
  const recovered = () =>
    until(async () => (await ready()) === 200, {
      timeoutMs: 8000,
      message: 'did not become ready again after Redis came back',
    });

  async function latencies(n: number): Promise<{ ms: number[]; statuses: number[] }> {
    const ms: number[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await timed(me);
      ms.push(r.ms);
      statuses.push(r.value.status);
    }
    return { ms, statuses };
  }

  describe('Redis down (connections reset)', () => {
    it('keeps routes that do not need Redis at their normal latency, and fails the global throttle open (counted and logged)', async () => {
      const before = await latencies(15);
      const errorsBefore = metricValue(await metrics(), 'rate_limit_store_errors_total', {
        scope: 'http',
        policy: 'fail-open',
      });
      fx.redis!.cut();
      await until(async () => (await ready()) === 503, {
        timeoutMs: 3000,
        message: 'readiness did not notice Redis going away',
      });
      const during = await latencies(15);
      expect(during.statuses).toEqual(Array(15).fill(200));
      expect(median(during.ms)).toBeLessThan(median(before.ms) + 50);
      expect(Math.max(...during.ms)).toBeLessThan(1000);
      const errorsAfter = metricValue(await metrics(), 'rate_limit_store_errors_total', {
        scope: 'http',
        policy: 'fail-open',
      });
      expect(errorsAfter - errorsBefore).toBeGreaterThanOrEqual(15);
      // Log lines are written in batches (at most 250 ms late): wait for the line, then assert it.
      await until(() => app.output().includes('serving requests without the limit'), {
        timeoutMs: 3000,
        message: 'the fail-open throttle was never logged',
      });
      expect(app.output()).toContain(
        'Rate-limit store unavailable; serving requests without the limit (fail open)',
      );
    });

    it('reports Redis down in /health/ready (503) and /health, while /health/live stays 200', async () => {
      fx.redis!.cut();
      await until(async () => (await ready()) === 503, { timeoutMs: 3000 });
      const r = await app.http.get('/health/ready');
      expect(r.body.details.redis.status).toBe('down');
      expect(r.body.details.database.status).toBe('up');
      const h = await app.http.get('/health');
      expect(h.status).toBe(503);
      expect(h.body.checks).toEqual({ database: 'up', redis: 'down' });
      expect((await app.http.get('/health/live')).status).toBe(200);
    });

    it('refuses logins with 503 within 1 s (login limiter fails closed)', async () => {
      fx.redis!.cut();
      await until(async () => (await ready()) === 503, { timeoutMs: 3000 });
      const r = await timed(() =>
        app.http.post('/api/v1/auth/login', { username: user.username, password: user.password }),
      );
      expect(r.value.status).toBe(503);
      expect(r.value.body).toMatchObject({
        statusCode: 503,
        code: 'SERVICE_UNAVAILABLE',
        requestId: expect.any(String),
      });
      expect(r.value.text).not.toMatch(/redis|ECONN/i);
      expect(r.ms).toBeLessThan(1000);
    });

    it('recovers without a restart when Redis comes back', async () => {
      fx.redis!.cut();
      await until(async () => (await ready()) === 503, { timeoutMs: 3000 });
      const pid = app.proc.pid;
      fx.redis!.restore();
      await recovered();
      const login = await app.http.post('/api/v1/auth/login', {
        username: user.username,
        password: user.password,
      });
      expect(login.status).toBe(200);
      expect(app.proc.pid).toBe(pid);
      expect(app.proc.exitCode).toBeNull();
      expect((await app.http.get('/health')).body.checks.redis).toBe('up');
    });
  });

  describe('Redis slow (every byte 5 s late)', () => {
    it('fails login closed with 503 within the command timeout, and keeps failing fast while Redis is slow', async () => {
      fx.redis!.delay(5000);
      const first = await timed(() =>
        app.http.post('/api/v1/auth/login', { username: user.username, password: user.password }),
      );
      expect(first.value.status).toBe(503);
      expect(first.ms).toBeLessThan(1000 + 500);
      const second = await timed(() =>
        app.http.post('/api/v1/auth/login', { username: user.username, password: user.password }),
      );
      expect(second.value.status).toBe(503);
      expect(second.ms).toBeLessThan(300);
    });

    it('serves general routes (fail open) without waiting on Redis for each request, counted and logged', async () => {
      fx.redis!.delay(5000);
      const errorsBefore = metricValue(await metrics(), 'rate_limit_store_errors_total', {
        scope: 'http',
        policy: 'fail-open',
      });
      const during = await latencies(10);
      expect(during.statuses).toEqual(Array(10).fill(200));
      // At most the first request pays the command timeout; the breaker answers the rest at once.
      expect(Math.max(...during.ms)).toBeLessThan(1000 + 500);
      expect(median(during.ms)).toBeLessThan(100);
      expect(
        metricValue(await metrics(), 'rate_limit_store_errors_total', {
          scope: 'http',
          policy: 'fail-open',
        }) - errorsBefore,
      ).toBeGreaterThanOrEqual(10);
      // Log lines are written in batches (at most 250 ms late): wait for the line, then assert it.
      await until(() => app.output().includes('Redis is not answering in time'), {
        timeoutMs: 3000,
        message: 'the breaker never logged that Redis is slow',
      });
      expect(app.output()).toContain('Redis is not answering in time; failing fast until it does');
    });

    it('recovers when Redis is fast again', async () => {
      fx.redis!.delay(5000);
      await app.http.post('/api/v1/auth/login', {
        username: user.username,
        password: 'wrong-password',
      });
      fx.redis!.restore();
      await recovered();
      await until(
        async () =>
          (
            await app.http.post('/api/v1/auth/login', {
              username: user.username,
              password: user.password,
            })
          ).status === 200,
        { timeoutMs: 5000, message: 'login did not work again' },
      );
    });
  });

  it('counts a rate-limit hit exactly once when the link drops after Redis did the work', async () => {
    // Redis executes the counter update, its reply is held up, the connection drops. Re-sending
    // the command on reconnect would charge the account twice for one attempt.
    const victim = await app.http.user('recount');
    fx.redis!.delay(3000, 'toClient');
    const inFlight = [0, 1].map(() =>
      app.http.post('/api/v1/auth/login', {
        username: victim.username,
        password: 'wrong-password',
      }),
    );
    // Both counter updates have run in Redis (read directly, not through the proxy); their
    // replies are still held in the proxy.
    const direct = new Redis(fx.directRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await direct.connect();
      const hits = `${fx.redisKeyPrefix}{rl:login:user:${victim.username.toLowerCase()}:login-user}:hits`;
      await until(async () => (await direct.get(hits)) === '2', {
        timeoutMs: 2500,
        intervalMs: 20,
        message: 'the two login attempts never reached Redis',
      });
    } finally {
      direct.disconnect();
    }
    fx.redis!.cut();
    fx.redis!.restore();
    const outcomes = (await Promise.all(inFlight)).map((r) => r.status);
    expect(outcomes.every((st) => st === 503 || st === 401)).toBe(true);
    await recovered();
    // LOGIN_THROTTLE_LIMIT=5, two attempts already counted once each: three more, then 429.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (
          await app.http.post('/api/v1/auth/login', {
            username: victim.username,
            password: 'wrong-password',
          })
        ).status,
      );
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('does not count attempts refused while Redis hung once it is back', async () => {
    const victim = await app.http.user('hung');
    fx.redis!.delay(5000);
    for (let i = 0; i < 2; i++)
      expect(
        (
          await app.http.post('/api/v1/auth/login', {
            username: victim.username,
            password: 'wrong-password',
          })
        ).status,
      ).toBe(503);
    fx.redis!.cut();
    fx.redis!.restore();
    await recovered();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (
          await app.http.post('/api/v1/auth/login', {
            username: victim.username,
            password: 'wrong-password',
          })
        ).status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  describe('chat and presence while Redis is away', () => {
    let roomId: string;
    beforeAll(async () => {
      roomId = (await app.http.post('/api/v1/rooms', { name: 'redis fault room' }, user.token)).body
        .id;
    });

    /**
     * Every socket event and REST call answers within 1 s when Redis is down (nothing waits on a
     * dead link), and within the command timeout when it is slow: an error ack / 503, or a real answer.
     */
    async function expectClearErrorsFast(mode: 'down' | 'slow'): Promise<void> {
      const limitMs = mode === 'down' ? 1000 : 1000 /* REDIS_COMMAND_TIMEOUT_MS */ + 300;
      const s = await connectChat(app.url, { auth: { token: user.token } });
      expect(s.connected).toBe(true);
      try {
        expect(await emitAck(s.socket, 'room:join', { roomId })).toMatchObject({ ok: true });
        if (mode === 'down') fx.redis!.cut();
        else fx.redis!.delay(5000);
        if (mode === 'down') await until(async () => (await ready()) === 503, { timeoutMs: 3000 });
        const acks: Record<string, unknown> = {};
        for (const [event, payload] of [
          ['presence:heartbeat', { roomId }],
          ['chat:send', { roomId, text: `during ${mode}` }],
          ['room:join', { roomId }],
        ] as const) {
          const r = await timed(() => emitAck(s.socket, event, payload, 1500));
          expect({ event, fast: r.ms < limitMs }).toEqual({ event, fast: true });
          acks[event] = r.value;
        }
        // Presence cannot be kept without Redis: a clear error, not a silent lie.
        expect(acks['presence:heartbeat']).toMatchObject({
          ok: false,
          error: { code: 'SERVICE_UNAVAILABLE' },
        });
        // chat:send's policy with Redis away: the send limit fails open, the message is stored in
        // PostgreSQL and acknowledged (docs/reliability-and-security.md).
        expect(acks['chat:send']).toMatchObject({ ok: true, message: { text: `during ${mode}` } });
        for (const ack of Object.values(acks)) {
          const a = ack as { ok: boolean; error?: { code: string } };
          expect(a.ok ? 'ok' : a.error?.code).toMatch(/^(ok|SERVICE_UNAVAILABLE)$/);
        }
        for (const [method, path] of [
          ['GET', `/api/v1/rooms/${roomId}/presence`],
          ['POST', `/api/v1/rooms/${roomId}/heartbeat`],
        ] as const) {
          const r = await timed(() =>
            app.http.request(method, path, {
              body: method === 'POST' ? { viewerId: 'viewer-redis-fault' } : undefined,
            }),
          );
          expect({ path, status: r.value.status, fast: r.ms < limitMs }).toEqual({
            path,
            status: 503,
            fast: true,
          });
          expect(r.value.body.code).toBe('SERVICE_UNAVAILABLE');
          // Which dependency failed is for the logs, not for clients.
          expect(r.value.text).not.toMatch(/redis|ECONN|timed out/i);
        }
        // Rooms themselves live in PostgreSQL: still readable.
        expect((await timed(() => app.http.get(`/api/v1/rooms/${roomId}`))).ms).toBeLessThan(
          limitMs,
        );
      } finally {
        s.socket.close();
        fx.redis!.restore();
      }
    }

    it('answers presence and chat with a clear error within 1 s while Redis is down [timing]', () =>
      expectClearErrorsFast('down'));
    it('answers presence and chat with a clear error within the command timeout while Redis is slow [timing]', () =>
      expectClearErrorsFast('slow'));

    it('chat and presence work again once Redis is back, without a restart', async () => {
      fx.redis!.cut();
      await until(async () => (await ready()) === 503, { timeoutMs: 3000 });
      fx.redis!.restore();
      await recovered();
      const a = await connectChat(app.url, { auth: { token: user.token } });
      const b = await connectChat(app.url);
      try {
        await until(async () => (await emitAck(a.socket, 'room:join', { roomId })).ok === true, {
          timeoutMs: 5000,
          message: 'join never worked again',
        });
        expect(await emitAck(b.socket, 'room:join', { roomId })).toMatchObject({ ok: true });
        const got = new Promise<string>((resolve) =>
          b.socket.once('chat:message', (msg: { text: string }) => resolve(msg.text)),
        );
        expect(
          await emitAck(a.socket, 'chat:send', { roomId, text: 'after recovery' }),
        ).toMatchObject({ ok: true });
        expect(await got).toBe('after recovery');
        // Like the join above: once Redis is back, presence answers again (a command that was slow
        // on the fresh link may have re-opened the breaker for one probe period).
        await until(
          async () => {
            // What players do every 15 s: a join that landed while the breaker was still open is
            // counted again by the next heartbeat.
            await emitAck(a.socket, 'presence:heartbeat', { roomId });
            await emitAck(b.socket, 'presence:heartbeat', { roomId });
            const r = await app.http.get(`/api/v1/rooms/${roomId}/presence`);
            return r.status === 200 && r.body.onlineCount >= 2;
          },
          { timeoutMs: 5000, message: 'presence never counted both members again' },
        );
        const presence = await app.http.get(`/api/v1/rooms/${roomId}/presence`);
        expect(presence.status).toBe(200);
        expect(presence.body.onlineCount).toBeGreaterThanOrEqual(2);
      } finally {
        a.socket.close();
        b.socket.close();
      }
    });
  });

  it('never crashed and has no unhandled errors in its log', () => {
    expect(app.proc.exitCode).toBeNull();
    expect(app.output()).not.toMatch(/unhandled|UnhandledPromiseRejection|uncaught/i);
    // Operators parse the log: even during the outage every line is one JSON object.
    const notJson = app
      .output()
      .split('\n')
      .filter((l) => l.trim() && !isJsonLine(l));
    expect(notJson).toEqual([]);
  });
});
