import * as http from 'node:http';
import * as net from 'node:net';
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
      // A slow client: headers now, the rest of the body only when the test says so.
      const body = JSON.stringify({ username: 'slow_client', password: 'password-123' });
      let status = 0;
      let responseBody = '';
      let finish!: () => void;
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
        finish = () => req.end(body.slice(10));
      });
      // A second client that is half-way through its request line and headers: its connection
      // is busy (not idle), so it survives the listener closing and its request is answered.
      const probe = net.connect(app.port, '127.0.0.1');
      let probeReply = '';
      probe.on('data', (d: Buffer) => (probeReply += d.toString()));
      await new Promise<void>((resolve, reject) => {
        probe.once('connect', resolve);
        probe.once('error', reject);
      });
      probe.write('GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      // The slow request is really in flight before the signal: the scrape counts itself and it.
      await until(
        async () => {
          const text = await (await fetch(`${app.url}/metrics`)).text();
          return Number(/^http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0) >= 2;
        },
        { timeoutMs: 5000, intervalMs: 20, message: 'the slow request never reached the app' },
      );

      app.proc.kill('SIGTERM');
      await until(() => app.output().includes('Shutting down: draining requests and sockets'), {
        timeoutMs: 3000,
        message: 'the app never logged that it is shutting down',
      });
      // Readiness is 503 while the slow request is still held open...
      probe.end('\r\n');
      await new Promise((r) => probe.once('close', r));
      expect(probeReply).toMatch(/^HTTP\/1\.1 503 /);
      expect(probeReply).toMatch(/"draining":true/);
      // ...and a new connection is refused while the process is still running (the slow
      // request has not finished, so the process cannot have exited yet).
      const refused = await new Promise<string>((resolve) => {
        const s = net.connect(app.port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
      });
      expect(refused).toBe('ECONNREFUSED');
      expect(app.proc.exitCode).toBeNull();

      // The in-flight request still completes normally.
      finish();
      await done;
      expect(status).toBe(201);
      expect(JSON.parse(responseBody).user.username).toBe('slow_client');
      const code = await app.exited;
      expect(code).toBe(0);
      await until(() => app.output().includes('Shutdown complete'), {
        timeoutMs: 1000,
        message: 'no "Shutdown complete" line',
      });
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
      // The request is in flight on the server (the scrape counts itself and it).
      await until(
        async () => {
          const text = await (await fetch(`${app.url}/metrics`)).text();
          return Number(/^http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0) >= 2;
        },
        { timeoutMs: 5000, intervalMs: 20, message: 'the stuck request never reached the app' },
      );
      const started = Date.now();
      app.proc.kill('SIGTERM');
      const code = await app.exited;
      expect(Date.now() - started).toBeLessThan(4000);
      expect(code).toBe(1);
      const lines = await until(
        () => {
          const parsed = app
            .output()
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, unknown>);
          return parsed.some((l) => l.msg === 'Shutdown timed out; exiting') ? parsed : undefined;
        },
        { timeoutMs: 1000, message: 'no "Shutdown timed out" line' },
      );
      expect(lines.find((l) => l.msg === 'Shutdown timed out; exiting')).toMatchObject({
        level: 'error',
        timeoutMs: 1500,
      });
      expect(lines.some((l) => l.msg === 'Shutdown complete')).toBe(false);
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
