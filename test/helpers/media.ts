/**
 * Media helpers for end-to-end tests: a real nginx-rtmp (Debian `nginx` +
 * `libnginx-mod-rtmp`) rendered from docker/nginx-rtmp/nginx.conf, driven by
 * `ffmpeg`. Node built-ins only.
 *
 * Typical use:
 *
 *   const media = await startNginxRtmp({ hookUrl: `${base}/api/v1/hooks/nginx-rtmp`, hookSecret });
 *   const pub = startFfmpegPublisher(`${media.rtmpBase}/${streamId}?key=${streamKey}`);
 *   await waitFor(async () => (await getStream()).status === 'live', { message: 'stream never went live' });
 *   await pub.stop();
 *   await media.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isStrict, reportSkip } from './services';

/* ------------------------------------------------------------------------ */
/* Generic polling                                                           */
/* ------------------------------------------------------------------------ */

export interface WaitForOptions {
  /** Overall deadline (default 10 000 ms). */
  timeoutMs?: number;
  /** Pause between two attempts (default 100 ms). */
  intervalMs?: number;
  /** Text of the error thrown on deadline. */
  message?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or the
 * deadline passes (then throws an Error with `message`, plus the last error the
 * predicate threw, if any). A predicate that throws counts as "not yet".
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const base = opts.message ?? `condition not met within ${timeoutMs} ms`;
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`${base}${cause}`);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/* ------------------------------------------------------------------------ */
/* Tool availability                                                         */
/* ------------------------------------------------------------------------ */

export const DEFAULT_RTMP_MODULE_PATH = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
const EXTRA_BIN_DIRS = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];

/** Absolute path of an executable, looked up in PATH and the usual sbin dirs. */
export function findExecutable(name: string): string | null {
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    ...EXTRA_BIN_DIRS,
  ];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

function rtmpModulePath(): string {
  return process.env.RTMP_MODULE_PATH || DEFAULT_RTMP_MODULE_PATH;
}

/**
 * Whether nginx, the RTMP module, ffmpeg and ffprobe are installed.
 * `missing` names what is absent: `nginx`, `libnginx-mod-rtmp`, `ffmpeg`, `ffprobe`.
 */
export function mediaToolsAvailable(): { ok: boolean; missing: string[] } {
  const missing: string[] = [];
  if (!findExecutable('nginx')) missing.push('nginx');
  if (!fs.existsSync(rtmpModulePath())) missing.push('libnginx-mod-rtmp');
  if (!findExecutable('ffmpeg')) missing.push('ffmpeg');
  if (!findExecutable('ffprobe')) missing.push('ffprobe');
  return { ok: missing.length === 0, missing };
}

const MEDIA_INSTALL = 'apt-get install -y nginx libnginx-mod-rtmp ffmpeg';

/**
 * `describe` when nginx, the RTMP module and ffmpeg are installed (system packages: `.ci/run`
 * installs them, a test run installs nothing). Otherwise a counted skip, or under CI /
 * REQUIRE_SERVICES=1 a failing test naming what is missing. `alsoMissing` adds other absent tools
 * (e.g. the browser suites' Chromium).
 */
export function describeMedia(name: string, fn: () => void, alsoMissing: string[] = []): void {
  const missing = [...alsoMissing, ...mediaToolsAvailable().missing];
  if (missing.length === 0) {
    describe(name, fn);
  } else if (isStrict()) {
    describe(name, () => {
      it(`has its tools installed (${MEDIA_INSTALL}, chromium)`, () => {
        expect(missing).toEqual([]);
      });
    });
  } else {
    reportSkip(
      `"${name}"`,
      `missing ${missing.join(', ')}. Install them (${MEDIA_INSTALL}, chromium); REQUIRE_SERVICES=1 makes this a failure`,
    );
  }
}

/* ------------------------------------------------------------------------ */
/* Config rendering                                                          */
/* ------------------------------------------------------------------------ */

/** Placeholders of docker/nginx-rtmp/nginx.conf (same list as entrypoint.sh). */
export const NGINX_RTMP_PLACEHOLDERS = [
  'RTMP_MODULE_PATH',
  'RTMP_PORT',
  'HTTP_PORT',
  'HLS_PATH',
  'ONAIR_HOOK_URL',
  'HOOK_SECRET',
  'ONAIR_HLS_AUTH_URL',
  'RECORDINGS_DIR',
] as const;

export type NginxRtmpPlaceholder = (typeof NGINX_RTMP_PLACEHOLDERS)[number];

export interface NginxRtmpConfigVars {
  /** Port or address:port (e.g. `127.0.0.1:19350`). */
  RTMP_PORT: string | number;
  /** Port or address:port. */
  HTTP_PORT: string | number;
  /** Absolute directory, no trailing slash. */
  HLS_PATH: string;
  /** http:// URL of OnAir's nginx-rtmp hook, without query string. */
  ONAIR_HOOK_URL: string;
  /** URL-safe secret. */
  HOOK_SECRET: string;
  /** OnAir's HLS check; defaults to ONAIR_HOOK_URL with /nginx-rtmp replaced by /hls. */
  ONAIR_HLS_AUTH_URL?: string;
  /** Absolute directory for recordings, no trailing slash. */
  RECORDINGS_DIR: string;
  /** Defaults to $RTMP_MODULE_PATH or Debian's module path. */
  RTMP_MODULE_PATH?: string;
}

function findRepoFile(rel: string): string {
  const starts = [typeof __dirname !== 'undefined' ? __dirname : undefined, process.cwd()].filter(
    (d): d is string => Boolean(d),
  );
  for (const start of starts) {
    let dir = start;
    for (;;) {
      const candidate = path.join(dir, rel);
      if (fs.existsSync(candidate)) return candidate;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`cannot find ${rel} above ${starts.join(' or ')}`);
}

export function nginxRtmpTemplatePath(): string {
  return findRepoFile(path.join('docker', 'nginx-rtmp', 'nginx.conf'));
}

const SAFE_SECRET = /^[A-Za-z0-9._~-]+$/;
const LISTEN = /^(?:(?:\d{1,3}\.){3}\d{1,3}:|\[[0-9a-fA-F:]+\]:)?\d{1,5}$/;

/**
 * Renders docker/nginx-rtmp/nginx.conf: substitutes `${NAME}` for the known
 * placeholders only (like `envsubst '${RTMP_PORT} ...'` in the entrypoint) and
 * throws if any `${...}` is left or a value would break the nginx syntax.
 */
export function renderNginxRtmpConfig(vars: NginxRtmpConfigVars, template?: string): string {
  const values: Record<NginxRtmpPlaceholder, string> = {
    RTMP_MODULE_PATH: vars.RTMP_MODULE_PATH ?? rtmpModulePath(),
    RTMP_PORT: String(vars.RTMP_PORT),
    HTTP_PORT: String(vars.HTTP_PORT),
    HLS_PATH: vars.HLS_PATH,
    ONAIR_HOOK_URL: vars.ONAIR_HOOK_URL,
    HOOK_SECRET: vars.HOOK_SECRET,
    ONAIR_HLS_AUTH_URL:
      vars.ONAIR_HLS_AUTH_URL ?? vars.ONAIR_HOOK_URL.replace(/\/nginx-rtmp$/, '/hls'),
    RECORDINGS_DIR: vars.RECORDINGS_DIR,
  };
  for (const name of NGINX_RTMP_PLACEHOLDERS) {
    const v = values[name];
    if (typeof v !== 'string' || v === '') throw new Error(`nginx-rtmp config: ${name} is empty`);
    if (/[\s;{}"'#$]/.test(v))
      throw new Error(`nginx-rtmp config: ${name} contains a character nginx cannot take`);
  }
  if (!LISTEN.test(values.RTMP_PORT))
    throw new Error(`nginx-rtmp config: bad RTMP_PORT ${values.RTMP_PORT}`);
  if (!LISTEN.test(values.HTTP_PORT))
    throw new Error(`nginx-rtmp config: bad HTTP_PORT ${values.HTTP_PORT}`);
  if (!SAFE_SECRET.test(values.HOOK_SECRET)) {
    throw new Error('nginx-rtmp config: HOOK_SECRET must be URL-safe ([A-Za-z0-9._~-])');
  }
  if (!/^http:\/\/[^/?#]+(\/[^?#]*)?$/.test(values.ONAIR_HLS_AUTH_URL)) {
    throw new Error(
      'nginx-rtmp config: ONAIR_HLS_AUTH_URL must be a plain http:// URL without query string',
    );
  }
  if (!/^http:\/\/[^/?#]+(\/[^?#]*)?$/.test(values.ONAIR_HOOK_URL)) {
    throw new Error(
      'nginx-rtmp config: ONAIR_HOOK_URL must be a plain http:// URL without query string',
    );
  }
  if (!path.isAbsolute(values.HLS_PATH) || values.HLS_PATH.endsWith('/')) {
    throw new Error('nginx-rtmp config: HLS_PATH must be absolute, without trailing slash');
  }
  if (!path.isAbsolute(values.RECORDINGS_DIR) || values.RECORDINGS_DIR.endsWith('/')) {
    throw new Error('nginx-rtmp config: RECORDINGS_DIR must be absolute, without trailing slash');
  }

  let text = template ?? fs.readFileSync(nginxRtmpTemplatePath(), 'utf8');
  for (const name of NGINX_RTMP_PLACEHOLDERS) {
    // envsubst would also replace the bare $NAME form; the template must not use it.
    if (new RegExp(`\\$${name}(?![A-Za-z0-9_])`).test(text)) {
      throw new Error(`nginx-rtmp template uses bare $${name}; write \${${name}}`);
    }
    text = text.split(`\${${name}}`).join(values[name]);
  }
  const left = text.match(/\$\{[^}]*\}/g);
  if (left)
    throw new Error(
      `nginx-rtmp config: unknown placeholder(s) left: ${[...new Set(left)].join(', ')}`,
    );
  return text;
}

/* ------------------------------------------------------------------------ */
/* nginx-rtmp process                                                        */
/* ------------------------------------------------------------------------ */

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves true when a TCP connection to host:port succeeds. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean) => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function tail(buf: string, max = 200_000): string {
  return buf.length > max ? buf.slice(buf.length - max) : buf;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

export interface StartNginxRtmpOptions {
  /** OnAir hook URL, e.g. `http://127.0.0.1:3000/api/v1/hooks/nginx-rtmp`. */
  hookUrl: string;
  hookSecret: string;
  /** Deadline for nginx to accept connections (default 10 000 ms). */
  startTimeoutMs?: number;
  /** Where nginx records to (default: `<prefix>/recordings`); made writable for the workers. */
  recordingsDir?: string;
  /** Edits the rendered config before start (e.g. a shorter netcall_timeout). */
  transformConfig?: (rendered: string) => string;
}

export interface NginxRtmpInstance {
  rtmpPort: number;
  httpPort: number;
  /** Directory where `<name>.m3u8` and `<name>-<n>.ts` appear. */
  hlsDir: string;
  /** Directory where recordings (`<name>-<unix time>.flv`) appear; OnAir's RECORDINGS_DIR. */
  recordingsDir: string;
  /** `rtmp://127.0.0.1:<rtmpPort>/live` */
  rtmpBase: string;
  /** `http://127.0.0.1:<httpPort>` (HLS under /hls/). */
  httpBase: string;
  /** Temporary nginx prefix (config, pid, temp dirs, hls). */
  prefix: string;
  pid: number;
  /** Stops nginx (SIGTERM, then SIGKILL to its process group) and removes the prefix. Idempotent. */
  stop(): Promise<void>;
  /** nginx stderr so far (error log at info level, incl. `notify:` lines) and the HTTP access log. */
  logs(): string;
}

/**
 * Starts nginx-rtmp on free loopback ports with the repo's config template.
 * The prefix is a fresh temp dir; workers run as `nobody` when the tests run
 * as root, so the prefix is made traversable and the HLS dir world-writable.
 */
export async function startNginxRtmp(opts: StartNginxRtmpOptions): Promise<NginxRtmpInstance> {
  const avail = mediaToolsAvailable();
  const nginxBin = findExecutable('nginx');
  if (!nginxBin || avail.missing.includes('libnginx-mod-rtmp')) {
    throw new Error(
      `nginx-rtmp not available (missing: ${avail.missing.join(', ')}); install nginx libnginx-mod-rtmp ffmpeg`,
    );
  }
  const startTimeoutMs = opts.startTimeoutMs ?? 10_000;
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(nginxBin, opts, startTimeoutMs);
    } catch (err) {
      lastError = err as Error;
      // Only a lost race for the picked ports is worth another attempt.
      if (!/Address already in use/i.test(lastError.message)) throw lastError;
    }
  }
  throw lastError ?? new Error('nginx-rtmp did not start');
}

async function startOnce(nginxBin: string, opts: StartNginxRtmpOptions, startTimeoutMs: number) {
  const rtmpPort = await getFreePort();
  let httpPort = await getFreePort();
  while (httpPort === rtmpPort) httpPort = await getFreePort();

  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-nginx-rtmp-'));
  fs.chmodSync(prefix, 0o755);
  const hlsDir = path.join(prefix, 'hls');
  fs.mkdirSync(hlsDir);
  fs.chmodSync(hlsDir, 0o777);
  const recordingsDir = opts.recordingsDir ?? path.join(prefix, 'recordings');
  fs.mkdirSync(recordingsDir, { recursive: true });
  fs.chmodSync(recordingsDir, 0o777);
  const confPath = path.join(prefix, 'nginx.conf');
  const removePrefix = () => fs.rmSync(prefix, { recursive: true, force: true });

  try {
    const rendered = renderNginxRtmpConfig({
      RTMP_PORT: `127.0.0.1:${rtmpPort}`,
      HTTP_PORT: `127.0.0.1:${httpPort}`,
      HLS_PATH: hlsDir,
      ONAIR_HOOK_URL: opts.hookUrl,
      HOOK_SECRET: opts.hookSecret,
      RECORDINGS_DIR: recordingsDir,
    });
    fs.writeFileSync(confPath, opts.transformConfig ? opts.transformConfig(rendered) : rendered);
  } catch (err) {
    removePrefix();
    throw err;
  }

  let output = '';
  const child = spawn(
    nginxBin,
    [
      '-p',
      `${prefix}/`,
      '-c',
      confPath,
      '-e',
      'stderr',
      '-g',
      `daemon off; pid ${path.join(prefix, 'nginx.pid')};`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const collect = (chunk: Buffer) => {
    output = tail(output + chunk.toString());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });
  // Never leave nginx (or its temp dir) behind if the test process goes away without stop().
  const onProcessExit = () => {
    killGroup(child.pid, 'SIGKILL');
    try {
      removePrefix();
    } catch {
      /* best effort */
    }
  };
  process.once('exit', onProcessExit);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      process.removeListener('exit', onProcessExit);
      if (child.exitCode === null && child.signalCode === null) {
        try {
          child.kill('SIGTERM'); // fast shutdown; master stops its workers
        } catch {
          /* gone */
        }
        if (!(await waitExit(child, 5_000))) {
          killGroup(child.pid, 'SIGKILL');
          await waitExit(child, 2_000);
        }
      }
      // Workers normally exit with the master; make sure none is left.
      killGroup(child.pid, 'SIGKILL');
      removePrefix();
    })();
    return stopped;
  };

  const exitedEarly = () =>
    spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
  try {
    await waitFor(
      async () => {
        if (exitedEarly()) throw new Error('nginx exited');
        return (await canConnect(rtmpPort)) && (await canConnect(httpPort));
      },
      {
        timeoutMs: startTimeoutMs,
        intervalMs: 50,
        message: 'nginx-rtmp did not accept connections',
      },
    ).catch((err: Error) => {
      if (exitedEarly()) {
        throw new Error(
          `nginx-rtmp exited during start-up (code ${child.exitCode}, ${spawnError?.message ?? ''}):\n${output}`,
        );
      }
      throw new Error(`${err.message} within ${startTimeoutMs} ms:\n${output}`);
    });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    rtmpPort,
    httpPort,
    hlsDir,
    recordingsDir,
    rtmpBase: `rtmp://127.0.0.1:${rtmpPort}/live`,
    httpBase: `http://127.0.0.1:${httpPort}`,
    prefix,
    pid: child.pid as number,
    stop,
    logs: () => {
      let access = '';
      try {
        access = fs.readFileSync(path.join(prefix, 'access.log'), 'utf8');
      } catch {
        /* none yet, or removed by stop() */
      }
      return access ? `${output}\n--- access.log ---\n${tail(access, 50_000)}` : output;
    },
  };
}

/* ------------------------------------------------------------------------ */
/* ffmpeg                                                                    */
/* ------------------------------------------------------------------------ */

export interface FfmpegPublisherOptions {
  /** Stop by itself after this many seconds of media (default: run until stop()). */
  durationSec?: number;
  /** ffmpeg -loglevel (default `warning`). */
  logLevel?: string;
  /** Extra output options inserted before `-f flv <url>`. */
  extraOutputArgs?: string[];
}

export interface FfmpegProcess {
  process: ChildProcess;
  /** Exit code; null when ended by a signal. Never rejects. */
  exited: Promise<number | null>;
  /** SIGINT, then SIGTERM, then SIGKILL, each with a deadline; resolves once exited. Idempotent. */
  stop(): Promise<void>;
  stderr(): string;
}

function runFfmpeg(args: string[]): FfmpegProcess {
  const bin = findExecutable('ffmpeg');
  if (!bin) throw new Error('ffmpeg not installed; install nginx libnginx-mod-rtmp ffmpeg');
  let err = '';
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    err = tail(err + chunk.toString(), 100_000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (e) => {
      err += `\n${e.message}`;
      resolve(-1);
    });
    child.once('exit', (code) => resolve(code));
  });
  const onProcessExit = () => {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  };
  process.once('exit', onProcessExit);
  void exited.then(() => process.removeListener('exit', onProcessExit));

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const [signal, ms] of [
        ['SIGINT', 3_000],
        ['SIGTERM', 2_000],
        ['SIGKILL', 2_000],
      ] as const) {
        if (child.exitCode !== null || child.signalCode !== null) break;
        try {
          child.kill(signal);
        } catch {
          /* gone */
        }
        if (await waitExit(child, ms)) break;
      }
      await Promise.race([exited, sleep(100)]);
    })();
    return stopping;
  };
  return { process: child, exited, stop, stderr: () => err };
}

/**
 * Publishes a synthetic test pattern (320x240@25, 440 Hz tone) to an RTMP URL,
 * e.g. `rtmp://127.0.0.1:<port>/live/<streamId>?key=<key>`. One keyframe per
 * second so nginx-rtmp cuts 1 s HLS fragments. Light enough for 2 cores.
 */
export function startFfmpegPublisher(
  url: string,
  opts: FfmpegPublisherOptions = {},
): FfmpegProcess {
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    opts.logLevel ?? 'warning',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=320x240:rate=25',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=44100',
    ...(opts.durationSec ? ['-t', String(opts.durationSec)] : []),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '25',
    '-keyint_min',
    '25',
    '-sc_threshold',
    '0',
    '-b:v',
    '300k',
    '-threads',
    '1',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-ac',
    '1',
    ...(opts.extraOutputArgs ?? []),
    '-f',
    'flv',
    url,
  ];
  return runFfmpeg(args);
}

/**
 * Plays an RTMP URL like a viewer who keeps watching: reads it in real time, discarding the
 * media, until stop() (or until the server drops it: see `exited`).
 */
export function startRtmpPlayer(url: string, opts: { logLevel?: string } = {}): FfmpegProcess {
  return runFfmpeg([
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    opts.logLevel ?? 'warning',
    '-rw_timeout',
    '5000000',
    '-analyzeduration',
    '500000',
    // Real time, as a player consumes it (a live source cannot be read faster anyway).
    '-re',
    '-i',
    url,
    '-f',
    'null',
    '-',
  ]);
}

/**
 * Plays an RTMP URL (e.g. `.../live/<id>?exp=..&sig=..`) for `seconds` of media
 * (default 1), discarding it. Resolves with ffmpeg's exit code and stderr:
 * 0 = played; 1 = refused by the play hook ("Input/output error") or no such
 * live stream ("Server error: No such stream").
 */
export async function playRtmp(
  url: string,
  opts: { seconds?: number; timeoutMs?: number; logLevel?: string } = {},
): Promise<{ code: number | null; stderr: string }> {
  const proc = runFfmpeg([
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    opts.logLevel ?? 'warning',
    '-rw_timeout',
    '5000000',
    // Short probing: ~1 s instead of ~2.5 s for a 1 s play.
    '-analyzeduration',
    '500000',
    '-i',
    url,
    '-t',
    String(opts.seconds ?? 1),
    '-f',
    'null',
    '-',
  ]);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const timer = setTimeout(() => void proc.stop(), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stderr: proc.stderr() };
}
