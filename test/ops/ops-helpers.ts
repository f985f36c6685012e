/**
 * Helpers for the ops suites that run the real Prometheus tools (Debian packages
 * `prometheus` and `prometheus-alertmanager`): find the binaries, gate a suite on them the way
 * operator-files.spec.ts does (missing → fail under CI / REQUIRE_SERVICES=1, else a loud
 * skip), and run a daemon for the length of a suite.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findExecutable } from '../helpers/media';
import { isStrict } from '../helpers/services';
import { until } from '../helpers/wait';

export const STRICT = isStrict();
export const ROOT = path.resolve(__dirname, '..', '..');
export const DOCKER = path.join(ROOT, 'docker');

/** Absolute path of an executable on PATH (plus the sbin directories), or null. */
export const findBinary = findExecutable;

export interface Needed {
  binary: string;
  aptPackage: string;
}

/**
 * `describe` when every binary is installed, with their paths. Otherwise: under CI or
 * REQUIRE_SERVICES=1 a suite with one failing test naming the packages to install; else a
 * skipped suite and a loud line saying how to install them.
 */
export function describeWithBinaries(
  title: string,
  needed: Needed[],
  fn: (bins: Record<string, string>) => void,
): void {
  const bins: Record<string, string> = {};
  const missing: Needed[] = [];
  for (const n of needed) {
    const p = findBinary(n.binary);
    if (p) bins[n.binary] = p;
    else missing.push(n);
  }
  if (missing.length === 0) {
    describe(title, () => fn(bins));
    return;
  }
  const names = missing.map((m) => `"${m.binary}"`).join(', ');
  const install = `apt-get install -y ${[...new Set(missing.map((m) => m.aptPackage))].join(' ')}`;
  if (STRICT) {
    describe(title, () => {
      it('has the tools it needs', () => {
        throw new Error(
          `${names} not installed, and CI or REQUIRE_SERVICES=1 requires them. Install with: ${install}`,
        );
      });
    });
    return;
  }
  process.stderr.write(
    `\n!!! SKIPPED "${title}": needs ${names}, not installed.\n!!! Install with: ${install}   (set REQUIRE_SERVICES=1 to make this a failure)\n\n`,
  );
  describe.skip(title, () => fn(bins));
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `onair-${prefix}-`));
}

/** Runs a command with `input` on stdin; returns its exit code and everything it printed. */
export function runWithInput(
  bin: string,
  args: string[],
  input: string,
): { code: number | null; output: string } {
  const r = spawnSync(bin, args, { input, encoding: 'utf8', timeout: 30000 });
  return { code: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export interface Daemon {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a long-running tool; its output is kept for error messages. Stop it in afterAll. */
export function startDaemon(bin: string, args: string[]): Daemon {
  let out = '';
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `url` answers 200, failing early (with the daemon's output) if it exits. */
export async function waitHttpOk(
  daemon: Daemon,
  url: string,
  what: string,
  timeoutMs = 30000,
): Promise<void> {
  await until(
    async () => {
      if (daemon.proc.exitCode !== null)
        throw new Error(`${what} exited with ${daemon.proc.exitCode}:\n${daemon.output()}`);
      const r = await fetch(url).catch(() => undefined);
      return r?.status === 200;
    },
    { timeoutMs, intervalMs: 100, message: `${what} did not become ready at ${url}` },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- ${what} output ---\n${daemon.output()}`);
  });
}

/**
 * Rewrites the proxy config for an unprivileged local run: upstream servers
 * to local addresses, listen port, pid/access log/temp files under `prefix`,
 * and no `user` switch.
 */
export function renderNginxConf(
  conf: string,
  prefix: string,
  upstreams: Record<string, string>,
  listenPort: number,
): string {
  const unknownHosts: string[] = [];
  let out = conf
    .replace(/^\s*user\s+[^;]*;\s*$/m, '')
    .replace(/^(\s*)pid\s+[^;]*;/m, `$1pid ${prefix}/nginx.pid;`)
    .replace(/access_log\s+\/dev\/stdout/g, `access_log ${prefix}/access.log`)
    .replace(/^(\s*)listen\s+\d+(\s|;)/gm, `$1listen 127.0.0.1:${listenPort}$2`)
    .replace(
      /^(\s*server\s+)([A-Za-z0-9._-]+):(\d+)/gm,
      (all, lead: string, host: string, port: string) => {
        const to = upstreams[`${host}:${port}`];
        if (!to) unknownHosts.push(`${host}:${port}`);
        return to ? `${lead}${to}` : all;
      },
    );
  if (unknownHosts.length)
    throw new Error(`nginx.conf proxies to unknown upstreams: ${unknownHosts.join(', ')}`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `    ${t}_temp_path ${prefix}/${t}_temp;`)
    .join('\n');
  out = out.replace(/^http\s*\{/m, (m) => `${m}\n${temp}`);
  return out;
}
