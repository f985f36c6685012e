import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { distStaleness } from '../setup/dist-freshness';
import { Http } from './http';
import { until } from './wait';

export const ROOT = path.resolve(__dirname, '..', '..');
/** ONAIR_MAIN_JS lets a developer point the process tests at a private build. */
export const MAIN_JS = process.env.ONAIR_MAIN_JS ?? path.join(ROOT, 'dist', 'src', 'main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface AppProcess {
  proc: ChildProcess;
  url: string;
  port: number;
  http: Http;
  output(): string;
  exited: Promise<number | null>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Runs the built app (dist/, rebuilt by the global setup when stale) as a real child process. */
export async function spawnApp(
  env: Record<string, string>,
  opts: { waitReady?: boolean } = {},
): Promise<AppProcess> {
  // A private build (ONAIR_MAIN_JS) is the developer's to keep fresh; dist/ must match src/.
  const stale = process.env.ONAIR_MAIN_JS ? null : distStaleness(MAIN_JS);
  if (stale)
    throw new Error(`${stale}: run npm run build (the test run's global setup does it first)`);
  if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build`);
  const port = env.PORT ? Number(env.PORT) : await freePort();
  let out = '';
  const proc = spawn(process.execPath, [MAIN_JS], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  const url = `http://127.0.0.1:${port}`;
  const http = new Http(url);
  const child: AppProcess = {
    proc,
    url,
    port,
    http,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  if (opts.waitReady !== false) {
    const ready = until(
      async () => {
        const r = await fetch(`${url}/health/ready`).catch(() => undefined);
        return r?.status === 200;
      },
      { timeoutMs: 30000, intervalMs: 100, message: `app on ${url} did not become ready` },
    );
    // A process that dies during start-up fails at once instead of after the whole deadline.
    const died = exited.then((code) => {
      throw new Error(`app exited during start-up with code ${code}`);
    });
    try {
      await Promise.race([ready, died]);
    } catch (err) {
      proc.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n--- output ---\n${out}`);
    } finally {
      died.catch(() => undefined);
      ready.catch(() => undefined);
    }
  }
  return child;
}
