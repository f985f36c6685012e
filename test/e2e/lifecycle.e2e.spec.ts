import * as http from 'node:http';
import { modeEnv } from '../helpers/modes';
import { freePort, spawnApp } from '../helpers/process';
import { until } from '../helpers/wait';

/** Real child processes of the built app (dist/), driven with real signals. */
describe('process lifecycle', () => {
  it('stops start-up with one clear line naming a bad variable', async () => {
    const m = await modeEnv('embedded', { THROTTLE_LIMIT: 'lots' });
    try {
      const app = await spawnApp(m.env, { waitReady: false });
      const code = await app.exited;
      expect(code).toBe(1);
      const lines = app.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/THROTTLE_LIMIT/);
    } finally {
      await m.cleanup();
    }
  });

  it('on SIGTERM: readiness drops, new connections are refused, the in-flight request finishes, exit 0', async () => {
    const m = await modeEnv('embedded', { SHUTDOWN_TIMEOUT_MS: '8000', LOG_LEVEL: 'info' });
    const app = await spawnApp(m.env);
    try {
      // A slow client: headers now, body trickled over ~1.5 s.
      const body = JSON.stringify({ username: 'slow_client', password: 'password-123' });
      let status = 0;
      let responseBody = '';
      const done = new Promise<void>((resolve, reject) => {
        const req = http.request(
          `${app.url}/api/v1/auth/register`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            status = res.statusCode ?? 0;
            res.on('data', (d: Buffer) => (responseBody += d.toString()));
            res.on('end', () => resolve());
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          req.end(body.slice(10));
        }, 1500);
      });
      // The slow request is really in flight before the signal: the scrape counts itself and it.
      await until(
        async () => {
          const text = await (await fetch(`${app.url}/metrics`)).text();
          return Number(/^http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0) >= 2;
        },
        { timeoutMs: 1000, intervalMs: 20, message: 'the slow request never reached the app' },
      );

      app.proc.kill('SIGTERM');
      // No new work is accepted from now on (readiness 503, then the listener is closed).
      // TODO: observe the 503 and the refusal separately; the listener closes so soon after the
      // signal that a new connection rarely sees the 503 (needs a busy keep-alive connection).
      await until(
        async () => {
          const r = await fetch(`${app.url}/health/ready`).catch(() => undefined);
          return r === undefined || r.status === 503;
        },
        { timeoutMs: 3000, message: 'readiness never dropped' },
      );
      await done;
      expect(status).toBe(201);
      expect(JSON.parse(responseBody).user.username).toBe('slow_client');
      const code = await app.exited;
      expect(code).toBe(0);
      expect(app.output()).toContain('Shutdown complete');
    } finally {
      await app.stop('SIGKILL');
      await m.cleanup();
    }
  });

  it('exits within SHUTDOWN_TIMEOUT_MS even when a client never finishes its request', async () => {
    const m = await modeEnv('embedded', { SHUTDOWN_TIMEOUT_MS: '1500' });
    const app = await spawnApp(m.env);
    try {
      const req = http.request(`${app.url}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': 1000 },
      });
      req.on('error', () => undefined);
      req.write('{"username":');
      await new Promise((r) => req.once('socket', r));
      const started = Date.now();
      app.proc.kill('SIGTERM');
      const code = await app.exited;
      expect(Date.now() - started).toBeLessThan(4000);
      expect(code).toBe(1);
      expect(app.output()).toMatch(/"timeoutMs":1500.*"msg":"Shutdown timed out; exiting"/);
      req.destroy();
    } finally {
      await app.stop('SIGKILL');
      await m.cleanup();
    }
  });

  it('writes out every buffered log line before it exits on SIGTERM', async () => {
    const m = await modeEnv('embedded', { LOG_LEVEL: 'info' });
    const app = await spawnApp(m.env);
    try {
      const ids = Array.from({ length: 120 }, (_, i) => `flush-check-${i}`);
      // In quick batches right before the signal: the last lines (and the shutdown lines) are
      // still in the log destination's buffer when the process decides to exit.
      for (let i = 0; i < ids.length; i += 20) {
        const batch = ids.slice(i, i + 20);
        await Promise.all(
          batch.map((id) => app.http.get('/health/live', undefined, { 'x-request-id': id })),
        );
      }
      app.proc.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      const lines = app
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const logged = new Set(
        lines.filter((l) => l.msg === 'request completed').map((l) => l.requestId),
      );
      expect(ids.filter((id) => !logged.has(id))).toEqual([]);
      expect(lines[lines.length - 1]).toMatchObject({ msg: 'Shutdown complete' });
    } finally {
      await app.stop('SIGKILL');
      await m.cleanup();
    }
  });

  it('listens on PORT and serves /health/live', async () => {
    const port = await freePort();
    const m = await modeEnv('embedded', { PORT: String(port) });
    const app = await spawnApp(m.env);
    try {
      expect(app.port).toBe(port);
      expect((await app.http.get('/health/live')).status).toBe(200);
    } finally {
      await app.stop();
      await m.cleanup();
    }
  });
});
