import { Client } from 'pg';
import { TEST_SECRETS } from '../helpers/modes';
import { AppProcess, spawnApp } from '../helpers/process';
import { describeWithServices } from '../helpers/services';
import { until } from '../helpers/wait';
import { faultEnv, FaultEnv, isJsonLine, timed } from './support';

const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 1500;
const POOL_SIZE = 3;

/**
 * PostgreSQL taken away from a real OnAir process (built app behind a TCP proxy). Policy under
 * test: readiness says so, requests that need the database answer 503 quickly (never hang,
 * never 401/500), the process survives, and it comes back by itself.
 */
describeWithServices('PostgreSQL faults', () => {
  let fx: FaultEnv;
  let app: AppProcess;
  let user: { token: string; username: string; password: string };

  beforeAll(async () => {
    fx = await faultEnv({
      proxyDb: true,
      extra: {
        DATABASE_POOL_SIZE: String(POOL_SIZE),
        DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
        THROTTLE_LIMIT: '100000',
      },
    });
    app = await spawnApp(fx.env);
    user = await app.http.user('pgfault');
  });
  afterAll(async () => {
    await app?.stop('SIGKILL');
    await fx?.cleanup();
  });
  afterEach(() => fx.db!.restore());

  const ready = async () => (await app.http.get('/health/ready')).status;
  const recovered = () =>
    until(async () => (await ready()) === 200, {
      timeoutMs: 10000,
      message: 'did not become ready again after PostgreSQL came back',
    });
  const register = (name: string) =>
    app.http.post('/api/v1/auth/register', { username: name, password: 'password-123' });

  describe('PostgreSQL down (connections reset)', () => {
    it('reports database down: /health/ready 503 (Terminus shape) and /health checks.database "down"', async () => {
      fx.db!.cut();
      const r = await until(
        async () => {
          const res = await app.http.get('/health/ready');
          return res.status === 503 ? res : undefined;
        },
        { timeoutMs: 4000, message: 'readiness did not notice the database going away' },
      );
      expect(r.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
      const h = await app.http.get('/health');
      expect({ status: h.status, body: h.body }).toMatchObject({
        status: 503,
        body: { status: 'DOWN' },
      });
      expect(h.body).toMatchObject({ status: 'DOWN', checks: { database: 'down', redis: 'up' } });
      expect((await app.http.get('/health/live')).status).toBe(200);
    });

    it('answers writes, reads and logins with 503 within the connect timeout (never 401 or 500)', async () => {
      fx.db!.cut();
      const cases = [
        () => register(`pgdown${Date.now()}`),
        () => app.http.get('/api/v1/auth/me', user.token),
        () =>
          app.http.post('/api/v1/auth/login', { username: user.username, password: user.password }),
      ];
      for (const call of cases) {
        const r = await timed(call);
        expect({ status: r.value.status, code: r.value.body?.code }).toEqual({
          status: 503,
          code: 'SERVICE_UNAVAILABLE',
        });
        expect(r.ms).toBeLessThan(CONNECT_TIMEOUT_MS + 500);
        expect(r.value.text).not.toMatch(/ECONN|postgres|SELECT|at .*\.js/i);
      }
    });

    it('recovers without a restart and writes work again', async () => {
      fx.db!.cut();
      await until(async () => (await ready()) === 503, { timeoutMs: 4000 });
      const pid = app.proc.pid;
      fx.db!.restore();
      await recovered();
      expect((await register(`pgback${Date.now()}`)).status).toBe(201);
      expect((await app.http.get('/api/v1/auth/me', user.token)).status).toBe(200);
      expect(app.proc.pid).toBe(pid);
    });
  });

  describe('PostgreSQL hanging (connections accepted, nothing answers)', () => {
    it('answers 503 within the query timeout instead of hanging, and recovers [timing]', async () => {
      fx.db!.cut('blackhole');
      const r = await timed(() => register(`pghang${Date.now()}`));
      expect(r.value.status).toBe(503);
      // Idle pooled connections wait for the client-side query timeout (statement timeout + 1 s); new ones for the connect timeout.
      expect(r.ms).toBeLessThan(QUERY_TIMEOUT_MS + 1000 + 700);
      const live = await timed(() => app.http.get('/health/live'));
      expect(live.value.status).toBe(200);
      expect(live.ms).toBeLessThan(200);
      fx.db!.restore();
      await recovered();
      await until(async () => (await register(`pgafter${Date.now()}`)).status === 201, {
        timeoutMs: 8000,
        message: 'writes did not work again',
      });
    });
  });

  describe('media-server publish hooks fail closed', () => {
    const HOOK_TIMEOUT_MS = 2000;
    async function publish(
      dialect: 'nginx-rtmp' | 'srs',
      id: string,
      key: string,
    ): Promise<'allow' | 'deny' | number> {
      const path = `/api/v1/hooks/${dialect}?secret=${TEST_SECRETS.HOOK_SECRET}`;
      if (dialect === 'nginx-rtmp') {
        const r = await app.http.request('POST', path, {
          raw: new URLSearchParams({
            call: 'publish',
            app: 'live',
            name: id,
            addr: '127.0.0.1',
            clientid: '9',
            key,
          }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        return r.status === 200 ? 'allow' : r.status === 403 ? 'deny' : r.status;
      }
      const r = await app.http.post(path, {
        action: 'on_publish',
        client_id: 's9',
        ip: '127.0.0.1',
        vhost: '__defaultVhost__',
        app: 'live',
        stream: id,
        param: `?key=${key}`,
      });
      return r.status === 200 ? (r.body.code === 0 ? 'allow' : 'deny') : r.status;
    }

    it.each(['reset', 'blackhole'] as const)(
      'denies a publish with the right key within 2 s while PostgreSQL is down (%s), and allows it again afterwards',
      async (mode) => {
        await recovered();
        const created = await app.http.post('/api/v1/streams', { title: `pg ${mode}` }, user.token);
        expect(created.status).toBe(201);
        const { id, streamKey } = created.body as { id: string; streamKey: string };
        fx.db!.cut(mode);
        for (const dialect of ['nginx-rtmp', 'srs'] as const) {
          const r = await timed(() => publish(dialect, id, streamKey));
          expect({ dialect, verdict: r.value }).toEqual({ dialect, verdict: 'deny' });
          expect(r.ms).toBeLessThan(HOOK_TIMEOUT_MS + 300);
        }
        fx.db!.restore();
        await recovered();
        // A write that was still in flight when we said "no" must not leave the stream looking live.
        await until(
          async () => (await app.http.get(`/api/v1/streams/${id}`)).body.status === 'idle',
          { timeoutMs: 8000, message: 'stream left live after a refused publish' },
        );
        expect(await publish('nginx-rtmp', id, streamKey)).toBe('allow');
        expect((await app.http.get(`/api/v1/streams/${id}`)).body.status).toBe('live');
      },
    );
  });

  describe('pool exhaustion (more slow queries than connections)', () => {
    it('gives the extra requests 503 after a bounded wait, keeps /health/live answering, and leaks no connection', async () => {
      await recovered();
      // Slow queries for real: hold a lock every authenticated request needs.
      const locker = new Client({ connectionString: fx.directDbUrl });
      await locker.connect();
      // A second connection to watch the server side (the locker's transaction would see one
      // frozen snapshot of pg_stat_activity).
      const watcher = new Client({ connectionString: fx.directDbUrl });
      await watcher.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
        let settled = 0;
        const burst = Array.from({ length: POOL_SIZE + 5 }, () =>
          timed(() => app.http.get('/api/v1/auth/me', user.token)).finally(() => settled++),
        );
        // Every pooled connection is blocked on the lock (as the server sees it)...
        await until(
          async () => {
            const res = await watcher.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'onair' AND wait_event_type = 'Lock'",
              [fx.dbName],
            );
            return res.rows[0].n === POOL_SIZE;
          },
          { timeoutMs: 3000, intervalMs: 20, message: 'the pooled connections never blocked' },
        );
        // ...while liveness does not wait.
        const live = await timed(() => app.http.get('/health/live'));
        expect(live.value.status).toBe(200);
        expect(live.ms).toBeLessThan(200);
        // The extra requests give up after the pool wait (connect timeout), not never: they are
        // answered while the lock is still held.
        await until(() => settled >= 5, {
          timeoutMs: CONNECT_TIMEOUT_MS + 2000,
          intervalMs: 20,
          message: 'the requests beyond the pool never gave up while the lock was held',
        });
        await locker.query('ROLLBACK');
        const results = await Promise.all(burst);
        const statuses = results.map((x) => x.value.status).sort();
        expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(5);
        expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
        for (const x of results.filter((y) => y.value.status === 503)) {
          expect(x.value.body.code).toBe('SERVICE_UNAVAILABLE');
          expect(x.ms).toBeLessThan(CONNECT_TIMEOUT_MS + 1000);
        }
      } finally {
        await locker.end().catch(() => undefined);
        await watcher.end().catch(() => undefined);
      }

      // Afterwards: every request works again (nothing is stuck holding a connection)...
      const again = await Promise.all(
        Array.from({ length: POOL_SIZE * 3 }, () => app.http.get('/api/v1/auth/me', user.token)),
      );
      expect(again.map((r) => r.status)).toEqual(Array(POOL_SIZE * 3).fill(200));
      // ...and the server sees at most POOL_SIZE connections from the app, none stuck in a transaction.
      const probe = new Client({ connectionString: fx.directDbUrl });
      await probe.connect();
      try {
        const rows = await until(
          async () => {
            const res = await probe.query<{ state: string }>(
              "SELECT state FROM pg_stat_activity WHERE datname = $1 AND application_name = 'onair'",
              [fx.dbName],
            );
            return res.rows.every((r) => r.state === 'idle') ? res.rows : undefined;
          },
          { timeoutMs: 5000, message: 'app connections still busy after the burst' },
        );
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.length).toBeLessThanOrEqual(POOL_SIZE);
      } finally {
        await probe.end();
      }
    });
  });

  it('never crashed and logged no unhandled error', () => {
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
