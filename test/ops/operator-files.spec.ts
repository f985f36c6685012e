/**
 * Operator files under docker/: Prometheus, Alertmanager, compose, the nginx
 * proxy and the Grafana dashboard.
 *
 * The checks use the real tools where one exists (promtool, amtool, nginx);
 * when one is missing the test is skipped with a warning, or fails when CI or
 * REQUIRE_SERVICES=1 is set. Debian packages: prometheus (promtool),
 * prometheus-alertmanager (amtool), nginx.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { startApp, type TestApp } from '../helpers/app';
import { reportSkip } from '../helpers/services';
import { findBinary, renderNginxConf, STRICT } from './ops-helpers';

/** Where the runbooks live (docs/operate.md on GitHub); alerts link to its headings. */
const RUNBOOKS_URL = 'https://github.com/onair/onair/blob/main/docs/operate.md';

/**
 * The anchors GitHub generates for the headings of a Markdown file (github-slugger's rules):
 * inline markup dropped, lower-cased, punctuation removed, spaces to hyphens, and a repeated
 * slug suffixed -1, -2, … Lines inside fenced code blocks are not headings.
 */
function githubAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1][0];
      else if (f[1][0] === fence) fence = null;
      continue;
    }
    const h = fence === null ? /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line) : null;
    if (!h) continue;
    const text = h[1].replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*~]/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/* ------------------------------------------------------------------------ */
/* Required binaries                                                         */
/* ------------------------------------------------------------------------ */

/**
 * Declares a test that needs an external binary. Missing binary: a failing
 * test naming the binary and its Debian package under CI / REQUIRE_SERVICES=1,
 * otherwise no test, a loud warning saying how to install it, and a skip the
 * run's summary counts.
 */
function itWithBinary(
  title: string,
  binary: string,
  aptPackage: string,
  expectations: (binPath: string) => void | Promise<void>,
  timeoutMs?: number,
): void {
  const binPath = findBinary(binary);
  const install = `apt-get install -y ${aptPackage}`;
  if (!binPath && !STRICT) {
    reportSkip(
      `"${title}"`,
      `needs "${binary}", which is not installed. Install it with: ${install} (REQUIRE_SERVICES=1 makes this a failure)`,
    );
    return;
  }
  const missing = new Error(
    `"${binary}" is not installed, and CI or REQUIRE_SERVICES=1 requires it. ` +
      `Install the Debian package "${aptPackage}": ${install}`,
  );
  it(
    title,
    async () => {
      if (!binPath) throw missing;
      await expectations(binPath);
    },
    timeoutMs,
  );
}

/** Runs a command; on a non-zero exit, throws with everything it printed. */
function run(bin: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(bin, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { status?: number | null; stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${path.basename(bin)} ${args.join(' ')} failed (exit ${err.status ?? '?'}):\n` +
        `${err.stdout ?? ''}${err.stderr ?? ''}${err.stdout || err.stderr ? '' : err.message}`,
    );
  }
}

/* ------------------------------------------------------------------------ */
/* Files and shared facts                                                    */
/* ------------------------------------------------------------------------ */

const ROOT = path.resolve(__dirname, '..', '..');
const DOCKER = path.join(ROOT, 'docker');
const FILES = {
  compose: path.join(DOCKER, 'docker-compose.yml'),
  prometheus: path.join(DOCKER, 'prometheus', 'prometheus.yml'),
  alerts: path.join(DOCKER, 'prometheus', 'alerts.yml'),
  alertTests: path.join(DOCKER, 'prometheus', 'alerts.test.yml'),
  alertmanager: path.join(DOCKER, 'alertmanager', 'alertmanager.yml'),
  nginx: path.join(DOCKER, 'nginx', 'nginx.conf'),
  grafanaDatasource: path.join(DOCKER, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'),
  grafanaProvider: path.join(DOCKER, 'grafana', 'provisioning', 'dashboards', 'onair.yml'),
  dashboard: path.join(DOCKER, 'grafana', 'dashboards', 'onair.json'),
};

type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * The metrics table of CONTRACT.md, in full: exact names and types, and the version that brought
 * each one, so that a missing metric says whether it is a 0.2 one still being built.
 */
const CONTRACT_METRICS: Record<string, { type: MetricType; since: '0.1' | '0.2' }> = {
  http_requests_total: { type: 'counter', since: '0.1' },
  http_request_duration_seconds: { type: 'histogram', since: '0.1' },
  http_requests_in_flight: { type: 'gauge', since: '0.1' },
  websocket_connections: { type: 'gauge', since: '0.1' },
  websocket_connections_opened_total: { type: 'counter', since: '0.1' },
  websocket_disconnects_total: { type: 'counter', since: '0.1' },
  websocket_connection_duration_seconds: { type: 'histogram', since: '0.1' },
  websocket_messages_received_total: { type: 'counter', since: '0.1' },
  websocket_messages_sent_total: { type: 'counter', since: '0.1' },
  websocket_message_duration_seconds: { type: 'histogram', since: '0.1' },
  websocket_errors_total: { type: 'counter', since: '0.1' },
  live_streams: { type: 'gauge', since: '0.1' },
  stream_publish_attempts_total: { type: 'counter', since: '0.1' },
  stream_viewers: { type: 'gauge', since: '0.1' },
  online_viewers: { type: 'gauge', since: '0.1' },
  chat_messages_total: { type: 'counter', since: '0.1' },
  rate_limited_total: { type: 'counter', since: '0.1' },
  video_bytes_served_total: { type: 'counter', since: '0.1' },
  alert_notifications_total: { type: 'counter', since: '0.1' },
  playback_sessions_started_total: { type: 'counter', since: '0.2' },
  playback_checks_total: { type: 'counter', since: '0.2' },
  hook_duration_seconds: { type: 'histogram', since: '0.2' },
  streams_swept_total: { type: 'counter', since: '0.2' },
  publishers_cut_total: { type: 'counter', since: '0.2' },
  recordings_total: { type: 'counter', since: '0.2' },
  webhook_deliveries_total: { type: 'counter', since: '0.2' },
};

/** Operational metrics beyond the contract, and the doc that says what they mean. */
const DOCUMENTED_EXTRA_METRICS: Record<string, string> = {
  rate_limit_store_errors_total: 'docs/reliability-and-security.md',
  publisher_cut_failures_total: 'docs/operate.md',
};

/** The metrics OnAir exports on /metrics: exact names and types. */
const APP_METRICS: Record<string, MetricType> = Object.fromEntries(
  Object.entries(CONTRACT_METRICS).map(([name, m]) => [name, m.type]),
);

/** `name → type` of every `# TYPE` line of a Prometheus text exposition. */
function exportedTypes(exposition: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const m of exposition.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm))
    types.set(m[1], m[2]);
  return types;
}

/** prom-client default metrics the dashboard and alerts may use. */
const DEFAULT_METRICS = [
  'process_cpu_seconds_total',
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_eventloop_lag_seconds',
];

/** Every metric name a query may select: histograms as _bucket/_sum/_count. */
function allowedMetricNames(): Set<string> {
  const names = new Set<string>(DEFAULT_METRICS);
  for (const [name, type] of Object.entries(APP_METRICS)) {
    if (type === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    } else {
      names.add(name);
    }
  }
  return names;
}

/** OnAir's configuration variables (the application reads nothing else). */
const APP_ENV_VARS = new Set([
  'PORT', 'HOST', 'NODE_ENV', 'DATABASE_URL', 'REDIS_URL', 'DATA_DIR', 'JWT_SECRET',
  'JWT_EXPIRES_IN', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'HOOK_SECRET', 'PLAY_URL_SECRET',
  'PLAY_URL_TTL_SEC', 'RTMP_INGEST_URL', 'HLS_BASE_URL', 'FLV_BASE_URL', 'METRICS_TOKEN',
  'CORS_ORIGINS', 'TRUST_PROXY', 'THROTTLE_LIMIT', 'THROTTLE_TTL_SEC', 'CHAT_RATE_LIMIT',
  'WS_MAX_PAYLOAD_BYTES', 'PRESENCE_TTL_SEC', 'MAX_UPLOAD_BYTES', 'MAX_STREAMS_PER_USER',
  'SHUTDOWN_TIMEOUT_MS', 'LOG_LEVEL', 'CHAT_RETENTION_DAYS', 'ALERT_WEBHOOK_TOKEN',
  'DINGTALK_WEBHOOK_URL', 'DINGTALK_SECRET', 'WECOM_WEBHOOK_URL', 'SLACK_WEBHOOK_URL',
  'RTMP_PLAY_URL', 'PLAY_SESSION_TTL_SEC',
  'WEBHOOK_MAX_ATTEMPTS', 'WEBHOOK_ALLOW_PRIVATE', 'WEBHOOK_BACKOFF_BASE_MS', 'WEBHOOK_BACKOFF_MAX_MS',
  'WEBHOOK_POLL_INTERVAL_MS', 'WEBHOOK_CONCURRENCY',
  'RECORDINGS_DIR', 'VIDEO_ACCEL_REDIRECT_PREFIX',
]); // prettier-ignore

// Parsed YAML/JSON documents are untyped by nature; the assertions check their shape.
type Obj = Record<string, any>;

// Compose files rely on YAML merge keys (`<<: *anchor`). js-yaml 4 applies
// them by default; later versions need their YAML 1.1 schema.
const YAML11_SCHEMA = (yaml as unknown as { YAML11_SCHEMA?: unknown }).YAML11_SCHEMA;
function loadYaml(file: string): Obj {
  const options = YAML11_SCHEMA
    ? ({ schema: YAML11_SCHEMA } as Parameters<typeof yaml.load>[1])
    : undefined;
  return yaml.load(fs.readFileSync(file, 'utf8'), options) as Obj;
}

function readJson(file: string): Obj {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Obj;
}

/** Every value stored under `key`, anywhere in a parsed document. */
function valuesOfKey(node: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(node)) {
    for (const item of node) valuesOfKey(item, key, out);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Obj)) {
      if (k === key) out.push(v);
      valuesOfKey(v, key, out);
    }
  }
  return out;
}

/**
 * Copies a config file into `dir`, replacing every credentials_file path by a
 * dummy token file of the same name, so that the real tools can check it on
 * a machine without the container's secrets.
 */
function copyWithDummyCredentials(file: string, dir: string): string {
  let text = fs.readFileSync(file, 'utf8');
  const paths = new Set(valuesOfKey(loadYaml(file), 'credentials_file').map(String));
  for (const p of paths) {
    const dummy = path.join(dir, path.basename(p));
    fs.writeFileSync(dummy, 'dummy-token\n');
    text = text.split(p).join(dummy);
  }
  const target = path.join(dir, path.basename(file));
  fs.writeFileSync(target, text);
  return target;
}

/* ------------------------------------------------------------------------ */
/* PromQL helpers                                                            */
/* ------------------------------------------------------------------------ */

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** Metric names selected by a PromQL expression (functions, labels and keywords excluded). */
function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/(?<![A-Za-z0-9_:])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])?/gi, ' '); // numbers, durations
  const names = new Set<string>();
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const rest = s.slice((m.index ?? 0) + m[0].length);
    if (/^\s*\(/.test(rest)) continue; // function or aggregation
    if (PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function alertRules(): AlertRule[] {
  const doc = loadYaml(FILES.alerts);
  return (doc.groups as Obj[]).flatMap((g) =>
    (g.rules as Obj[]).filter((r) => r.alert),
  ) as AlertRule[];
}

/* ------------------------------------------------------------------------ */
/* Compose helpers                                                           */
/* ------------------------------------------------------------------------ */

interface Mount {
  type: 'bind' | 'volume' | 'tmpfs';
  source?: string;
  target: string;
}

function serviceMounts(service: Obj): Mount[] {
  return ((service.volumes ?? []) as unknown[]).map((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      if (target === undefined) return { type: 'volume', target: source }; // anonymous volume
      const isPath = /^[./~]/.test(source);
      return { type: isPath ? 'bind' : 'volume', source, target };
    }
    const o = v as Obj;
    return { type: o.type, source: o.source, target: o.target };
  });
}

function dependsOn(service: Obj): Record<string, Obj> {
  const d = service.depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((name: string) => [name, {}]));
  return d as Record<string, Obj>;
}

function environment(service: Obj): Record<string, string | null> {
  const env = service.environment;
  if (!env) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      (env as string[]).map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, null] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(env as Obj).map(([k, v]) => [k, v === null ? null : String(v)]),
  );
}

/** Host side of the published ports, as "ip:port/proto". */
function publishedPorts(service: Obj): string[] {
  return ((service.ports ?? []) as unknown[]).flatMap((p) => {
    if (typeof p === 'object' && p !== null) {
      const o = p as Obj;
      if (o.published === undefined) return [];
      return [`${o.host_ip ?? '0.0.0.0'}:${o.published}/${o.protocol ?? 'tcp'}`];
    }
    const [spec, proto = 'tcp'] = String(p).split('/');
    const parts = spec.split(':');
    if (parts.length === 1) return []; // container port only: random host port
    const hostPort = parts[parts.length - 2];
    const ip = parts.length === 3 ? parts[0] : '0.0.0.0';
    return [`${ip}:${hostPort}/${proto}`];
  });
}

/** Targets inside containers where configs and secrets are mounted. */
function fileObjectTargets(service: Obj, kind: 'configs' | 'secrets'): string[] {
  return ((service[kind] ?? []) as unknown[]).map((c) => {
    if (typeof c === 'string') return kind === 'secrets' ? `/run/secrets/${c}` : `/${c}`;
    const o = c as Obj;
    const target = (o.target as string | undefined) ?? (o.source as string);
    if (kind === 'secrets' && !target.startsWith('/')) return `/run/secrets/${target}`;
    return target.startsWith('/') ? target : `/${target}`;
  });
}

const SECRET_NAME = /SECRET|PASSWORD|TOKEN/i;
const INTERPOLATION = /^\$\{[A-Z_][A-Z0-9_]*(?::?\?[^}]*|:?-)?\}$/;

/* ------------------------------------------------------------------------ */
/* nginx helpers                                                             */
/* ------------------------------------------------------------------------ */

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Seen {
  server: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A stand-in for one OnAir replica: answers with what it received. */
async function fakeReplica(
  name: string,
  seen: Seen[],
): Promise<{ port: number; close: () => Promise<void> }> {
  const srv = http.createServer((req, res) => {
    const entry: Seen = {
      server: name,
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
    };
    seen.push(entry);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(entry));
  });
  srv.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    const entry: Seen = {
      server: name,
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
    };
    seen.push(entry);
    socket.end(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n' +
        JSON.stringify(entry),
    );
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

interface Reply {
  status: number;
  body: string;
}

function get(port: number, reqPath: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: reqPath, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function websocketUpgrade(port: number, reqPath: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: reqPath,
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('upgrade', (res, socket, head) => {
      // Bytes that arrived together with the 101 response come in `head`.
      let body = head.toString('utf8');
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (body += chunk));
      socket.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      socket.on('error', reject);
    });
    req.on('response', (res) =>
      reject(new Error(`expected 101 Switching Protocols, got ${res.statusCode}`)),
    );
    req.on('error', reject);
    req.end();
  });
}

async function waitForPort(
  port: number,
  child: ChildProcess,
  stderr: () => string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`nginx exited with ${child.exitCode}:\n${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port} within ${timeoutMs} ms:\n${stderr()}`);
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                     */
/* ------------------------------------------------------------------------ */

let tmpRoot: string;

beforeAll(() => {
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-ops-'));
  // nginx workers may run as another user when the test runs as root.
  fs.chmodSync(tmpRoot, 0o755);
});

afterAll(() => {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

function tmpDir(name: string): string {
  const dir = path.join(tmpRoot, name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

describe('metric names', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('embedded');
  });
  afterAll(async () => app?.close());

  it("a running app's /metrics declares exactly the metrics table of CONTRACT.md", async () => {
    const r = await app.http.get('/metrics');
    expect(r.status).toBe(200);
    const exported = exportedTypes(r.text);
    const missing = Object.entries(CONTRACT_METRICS)
      .filter(([name, m]) => exported.get(name) !== m.type)
      .map(
        ([name, m]) => `${name} (${m.type}, since ${m.since}): ${exported.get(name) ?? 'absent'}`,
      );
    // Besides the contract's: default Node/process metrics (collectDefaultMetrics), and operational
    // metrics beyond the contract only when a doc explains them.
    const unexpected = [...exported.keys()].filter(
      (name) =>
        !(name in CONTRACT_METRICS) &&
        !/^(process|nodejs)_/.test(name) &&
        !fs
          .readFileSync(path.join(ROOT, DOCUMENTED_EXTRA_METRICS[name] ?? 'README.md'), 'utf8')
          .includes(`\`${name}`),
    );
    expect({ missing, unexpected }).toEqual({ missing: [], unexpected: [] });
  });
});

describe('Prometheus', () => {
  itWithBinary(
    'prometheus.yml passes promtool check config',
    'promtool',
    'prometheus',
    (promtool) => {
      const dir = tmpDir('prometheus');
      const config = copyWithDummyCredentials(FILES.prometheus, dir);
      fs.copyFileSync(FILES.alerts, path.join(dir, 'alerts.yml'));
      const out = run(promtool, ['check', 'config', config]);
      expect(out).toMatch(/SUCCESS/);
    },
  );

  itWithBinary('alerts.yml passes promtool check rules', 'promtool', 'prometheus', (promtool) => {
    const out = run(promtool, ['check', 'rules', FILES.alerts]);
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  itWithBinary(
    'the alert unit tests pass (promtool test rules)',
    'promtool',
    'prometheus',
    (promtool) => {
      const out = run(promtool, ['test', 'rules', FILES.alertTests]);
      expect(out).toMatch(/SUCCESS/);
    },
  );

  it('scrapes both replicas directly with the metrics bearer token and sends alerts to Alertmanager', () => {
    const config = loadYaml(FILES.prometheus);
    const onair = (config.scrape_configs as Obj[]).find((s) => s.job_name === 'onair');
    expect(onair).toBeDefined();
    expect(onair!.metrics_path ?? '/metrics').toBe('/metrics');
    const targets = (onair!.static_configs as Obj[]).flatMap((s) => s.targets as string[]);
    expect(targets.sort()).toEqual(['onair-1:3000', 'onair-2:3000']);
    expect(onair!.authorization).toEqual({
      type: 'Bearer',
      credentials_file: '/etc/prometheus/metrics_token',
    });
    expect(config.rule_files).toContain('alerts.yml');
    const am = (config.alerting.alertmanagers as Obj[]).flatMap((a) =>
      (a.static_configs as Obj[]).flatMap((s) => s.targets as string[]),
    );
    expect(am).toEqual(['alertmanager:9093']);
    expect((config.scrape_configs as Obj[]).some((s) => s.job_name === 'prometheus')).toBe(true);
  });

  it('every alert has a severity, summary, description and runbook link', () => {
    const rules = alertRules();
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const r of rules) {
      const where = `alert ${r.alert}`;
      expect([where, r.labels?.severity]).toEqual([
        where,
        expect.stringMatching(/^(critical|warning)$/),
      ]);
      expect([where, r.annotations?.summary]).toEqual([where, expect.any(String)]);
      expect([where, r.annotations?.description]).toEqual([where, expect.any(String)]);
      expect([where, r.annotations?.runbook_url]).toEqual([
        where,
        `${RUNBOOKS_URL}#runbook-${r.alert.toLowerCase()}`,
      ]);
    }
  });

  // Every runbook_url must land on a heading of docs/operate.md: its anchor is the one GitHub
  // generates for a heading there (a renamed or removed runbook breaks the alert's link).
  const operate = path.join(ROOT, 'docs', 'operate.md');
  it("every alert's runbook_url anchor is a heading of docs/operate.md", () => {
    const anchors = githubAnchors(fs.readFileSync(operate, 'utf8'));
    expect(anchors.has('runbooks')).toBe(true);
    for (const r of alertRules()) {
      const url = r.annotations?.runbook_url ?? '';
      const [base, anchor] = url.split('#');
      expect({ alert: r.alert, base }).toEqual({ alert: r.alert, base: RUNBOOKS_URL });
      expect({ alert: r.alert, anchor, heading: anchors.has(anchor) }).toEqual({
        alert: r.alert,
        anchor: `runbook-${r.alert.toLowerCase()}`,
        heading: true,
      });
    }
  });

  it('has the alerts operators rely on', () => {
    const names = alertRules().map((r) => r.alert);
    for (const required of [
      'HighErrorRate',
      'HighLatencyP99',
      'InstanceDown',
      'HighWebSocketErrorRate',
      'WebSocketConnectionsDrop',
      'PublishRejectSpike',
      'EventLoopLagHigh',
      'ChatRateLimitedSpike',
    ]) {
      expect(names).toContain(required);
    }
    expect(alertRules().find((r) => r.alert === 'InstanceDown')?.labels?.severity).toBe('critical');
  });

  it('every alert has a unit test where it fires and one where it stays silent', () => {
    const tests = loadYaml(FILES.alertTests);
    const firing = new Set<string>();
    const silent = new Set<string>();
    for (const t of tests.tests as Obj[]) {
      for (const c of (t.alert_rule_test ?? []) as Obj[]) {
        ((c.exp_alerts as unknown[] | undefined)?.length ? firing : silent).add(
          c.alertname as string,
        );
      }
    }
    for (const r of alertRules()) {
      expect([r.alert, firing.has(r.alert)]).toEqual([r.alert, true]);
      expect([r.alert, silent.has(r.alert)]).toEqual([r.alert, true]);
    }
  });

  it('alert expressions only use metrics OnAir exports (plus up)', () => {
    const allowed = allowedMetricNames();
    allowed.add('up');
    for (const r of alertRules()) {
      for (const name of metricNames(r.expr)) {
        expect([r.alert, name, allowed.has(name)]).toEqual([r.alert, name, true]);
      }
    }
  });
});

describe('Alertmanager', () => {
  itWithBinary(
    'alertmanager.yml passes amtool check-config',
    'amtool',
    'prometheus-alertmanager',
    (amtool) => {
      const config = copyWithDummyCredentials(FILES.alertmanager, tmpDir('alertmanager'));
      const out = run(amtool, ['check-config', config]);
      expect(out).toMatch(/SUCCESS/);
    },
  );

  itWithBinary(
    'routes alerts to the receiver of their severity',
    'amtool',
    'prometheus-alertmanager',
    (amtool) => {
      const cases: Array<[string[], string]> = [
        [['severity=critical', 'alertname=InstanceDown', 'instance=onair-1:3000'], 'critical'],
        [['severity=warning', 'alertname=HighLatencyP99'], 'warning'],
        [['alertname=SomethingWithoutSeverity'], 'warning'],
      ];
      for (const [labels, receiver] of cases) {
        const out = run(amtool, [
          'config',
          'routes',
          'test',
          `--config.file=${FILES.alertmanager}`,
          `--verify.receivers=${receiver}`,
          ...labels,
        ]);
        expect(out.trim()).toBe(receiver);
      }
    },
  );

  it('sends critical alerts to the relay (all robots) and by e-mail, warnings to the relay for WeCom, with inhibitions', () => {
    const config = loadYaml(FILES.alertmanager);
    expect(config.route.group_by).toEqual(expect.arrayContaining(['alertname', 'instance']));
    const receivers = Object.fromEntries(
      (config.receivers as Obj[]).map((r) => [r.name as string, r]),
    );
    const relayUrls: Record<string, string> = {
      critical: 'http://nginx/api/v1/alerts/alertmanager',
      warning: 'http://nginx/api/v1/alerts/alertmanager?channels=wecom',
    };
    for (const name of ['critical', 'warning']) {
      const hooks = receivers[name].webhook_configs as Obj[];
      expect(hooks).toHaveLength(1);
      expect(hooks[0].url).toBe(relayUrls[name]);
      expect(hooks[0].send_resolved).toBe(true);
      // Keeps a notification under the relay's request body limit (BODY_LIMIT_BYTES).
      expect(hooks[0].max_alerts).toBeGreaterThan(0);
      expect(hooks[0].max_alerts).toBeLessThanOrEqual(30);
      expect(hooks[0].http_config.authorization).toEqual({
        type: 'Bearer',
        credentials_file: '/etc/alertmanager/alert_webhook_token',
      });
    }
    expect((receivers.critical.email_configs as Obj[])[0].to).toMatch(/@example\.com$/);
    expect(config.global.smtp_smarthost).toMatch(/example\.com/);

    const inhibit = config.inhibit_rules as Obj[];
    expect(inhibit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          source_matchers: ['alertname="InstanceDown"'],
          equal: ['instance'],
        }),
        expect.objectContaining({
          source_matchers: ['severity="critical"'],
          target_matchers: ['severity="warning"'],
          equal: expect.arrayContaining(['alertname', 'instance']),
        }),
      ]),
    );
  });
});

describe('docker-compose.yml', () => {
  const compose = loadYaml(FILES.compose);
  const services = compose.services as Record<string, Obj>;
  const names = Object.keys(services);

  it('has the OnAir stack', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'onair-1',
        'onair-2',
        'postgres',
        'redis',
        'nginx',
        'media',
        'prometheus',
        'alertmanager',
        'grafana',
      ]),
    );
  });

  it('depends only on services that exist, and waits for health where there is a healthcheck', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, opts] of Object.entries(dependsOn(service))) {
        expect([name, dep, names.includes(dep)]).toEqual([name, dep, true]);
        const healthy = services[dep]?.healthcheck ? 'service_healthy' : opts.condition;
        expect([name, dep, opts.condition]).toEqual([name, dep, healthy]);
      }
    }
  });

  it('gives every service a healthcheck, in compose or in the Dockerfile it builds', () => {
    const entries = Object.entries(services);
    for (const [name, service] of entries.filter(([, s]) => s.healthcheck)) {
      expect([name, service.healthcheck.disable]).not.toEqual([name, true]);
      expect([name, Array.isArray(service.healthcheck.test)]).toEqual([name, true]);
    }
    for (const [name, service] of entries.filter(([, s]) => !s.healthcheck)) {
      const build = service.build as Obj | string | undefined;
      expect([name, 'healthcheck or build', Boolean(build)]).toEqual([
        name,
        'healthcheck or build',
        true,
      ]);
      const context = path.resolve(
        DOCKER,
        typeof build === 'string' ? build : (build!.context as string),
      );
      const dockerfile = path.resolve(
        context,
        (typeof build === 'object' && (build.dockerfile as string)) || 'Dockerfile',
      );
      expect([
        name,
        fs.existsSync(dockerfile) && /^HEALTHCHECK\s/m.test(fs.readFileSync(dockerfile, 'utf8')),
      ]).toEqual([name, true]);
    }
  });

  it('declares every named volume it uses', () => {
    const declared = Object.keys((compose.volumes ?? {}) as Obj);
    for (const [name, service] of Object.entries(services)) {
      const volumes = serviceMounts(service).filter((m) => m.type === 'volume' && m.source);
      for (const m of volumes)
        expect([name, m.source, declared.includes(m.source!)]).toEqual([name, m.source, true]);
    }
    for (const v of ['postgres-data', 'grafana-data', 'prometheus-data', 'videos'])
      expect(declared).toContain(v);
  });

  it('shares the videos volume between both replicas at DATA_DIR', () => {
    for (const name of ['onair-1', 'onair-2']) {
      const env = environment(services[name]);
      expect(env.DATA_DIR).toBe('/data');
      expect(serviceMounts(services[name])).toContainEqual({
        type: 'volume',
        source: 'videos',
        target: '/data',
      });
    }
  });

  it('publishes every host port once', () => {
    const seen = new Map<string, string>();
    for (const [name, service] of Object.entries(services)) {
      for (const p of publishedPorts(service)) {
        const port = p.slice(p.lastIndexOf(':') + 1);
        expect([p, seen.get(port)]).toEqual([p, undefined]);
        seen.set(port, name);
      }
    }
    expect(seen.get('8000/tcp')).toBe('nginx');
    expect(seen.get('1935/tcp')).toBe('media');
  });

  it('bind-mounts and builds only files that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const m of serviceMounts(service)) {
        if (m.type !== 'bind' || !m.source) continue;
        const file = path.resolve(DOCKER, m.source);
        expect([name, m.source, fs.existsSync(file)]).toEqual([name, m.source, true]);
      }
    }
    const builds = Object.entries(services).filter(([, service]) => service.build);
    for (const [name, service] of builds) {
      const build = service.build as Obj | string;
      const context = path.resolve(
        DOCKER,
        typeof build === 'string' ? build : (build.context as string),
      );
      const dockerfile = path.resolve(
        context,
        (typeof build === 'object' && (build.dockerfile as string)) || 'Dockerfile',
      );
      expect([name, dockerfile, fs.existsSync(dockerfile)]).toEqual([name, dockerfile, true]);
    }
  });

  it('contains no secret values, only ${…} references', () => {
    const values = Object.entries(services).flatMap(([name, service]) =>
      Object.entries(environment(service))
        .filter((e): e is [string, string] => e[1] !== null)
        .map(([key, value]) => ({ name, key, value })),
    );
    for (const { name, key, value } of values.filter((v) => SECRET_NAME.test(v.key)))
      expect([name, key, value]).toEqual([name, key, expect.stringMatching(INTERPOLATION)]);
    // Credentials inside URLs (postgres://user:password@host).
    const userinfos = values.flatMap(({ name, key, value }) =>
      [...value.matchAll(/:\/\/[^/:@\s]+:([^@\s]+)@/g)].map((m) => ({ name, key, pw: m[1] })),
    );
    for (const { name, key, pw } of userinfos)
      expect([name, key, pw]).toEqual([name, key, expect.stringMatching(INTERPOLATION)]);
    for (const kind of ['configs', 'secrets'] as const) {
      const defs = Object.entries((compose[kind] ?? {}) as Record<string, Obj>);
      for (const [name, def] of defs.filter(([, d]) => d.content !== undefined))
        expect([name, def.content]).toEqual([name, expect.stringMatching(INTERPOLATION)]);
    }
    // A default after ":-" would be a committed secret.
    const defaults = [
      ...fs.readFileSync(FILES.compose, 'utf8').matchAll(/\$\{([A-Z0-9_]+):?-([^}]*)\}/g),
    ].filter((m) => SECRET_NAME.test(m[1]));
    for (const m of defaults) expect([m[1], m[2]]).toEqual([m[1], '']);
  });

  it('runs the replicas clustered, in production mode, behind the proxy', () => {
    for (const name of ['onair-1', 'onair-2']) {
      const s = services[name];
      expect((s.build as Obj).context).toBe('..');
      expect((s.build as Obj).dockerfile).toBe('docker/Dockerfile');
      const env = environment(s);
      expect(env).toMatchObject({
        NODE_ENV: 'production',
        TRUST_PROXY: 'true',
        REDIS_URL: 'redis://redis:6379',
        HLS_BASE_URL: 'http://localhost:8080/hls',
        RTMP_INGEST_URL: 'rtmp://localhost:1935/live',
      });
      // nginx-rtmp cannot serve live HTTP-FLV: no FLV URL may be handed out.
      expect(env.FLV_BASE_URL).toBeUndefined();
      expect(env.DATABASE_URL).toMatch(
        /^postgres:\/\/onair:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432\/onair$/,
      );
      for (const key of Object.keys(env))
        expect([name, key, APP_ENV_VARS.has(key)]).toEqual([name, key, true]);
    }
    expect(environment(services['onair-1'])).toEqual(environment(services['onair-2']));
  });

  it('wires the media server to the nginx-rtmp hook through the proxy', () => {
    const media = services.media;
    expect(media.build.context ?? media.build).toBe('./nginx-rtmp');
    const env = environment(media);
    expect(env.ONAIR_HOOK_URL).toBe('http://nginx/api/v1/hooks/nginx-rtmp');
    expect(env.HOOK_SECRET).toMatch(/^\$\{HOOK_SECRET[:?}]/);
  });

  it('mounts every file the Prometheus and Alertmanager configs refer to', () => {
    const inContainer = (service: Obj) => [
      ...serviceMounts(service).map((m) => m.target),
      ...fileObjectTargets(service, 'configs'),
      ...fileObjectTargets(service, 'secrets'),
    ];
    const prom = inContainer(services.prometheus);
    expect(prom).toContain('/etc/prometheus/prometheus.yml');
    for (const rules of loadYaml(FILES.prometheus).rule_files as string[]) {
      expect(prom).toContain(path.posix.resolve('/etc/prometheus', rules));
    }
    for (const f of valuesOfKey(loadYaml(FILES.prometheus), 'credentials_file'))
      expect(prom).toContain(f);

    const am = inContainer(services.alertmanager);
    expect(am).toContain('/etc/alertmanager/alertmanager.yml');
    for (const f of valuesOfKey(loadYaml(FILES.alertmanager), 'credentials_file'))
      expect(am).toContain(f);

    const declared = Object.keys((compose.configs ?? {}) as Obj);
    for (const [name, service] of Object.entries(services)) {
      for (const c of (service.configs ?? []) as Array<Obj | string>) {
        const source = typeof c === 'string' ? c : (c.source as string);
        expect([name, source, declared.includes(source)]).toEqual([name, source, true]);
      }
    }
  });

  it('hands Prometheus the same token the replicas require, and Alertmanager the relay token', () => {
    const configs = compose.configs as Record<string, Obj>;
    const sourceFor = (service: Obj, target: string) =>
      ((service.configs ?? []) as Obj[]).find((c) => c.target === target)?.source as string;
    const metricsToken = configs[sourceFor(services.prometheus, '/etc/prometheus/metrics_token')]
      .content as string;
    expect(metricsToken).toMatch(/^\$\{METRICS_TOKEN[:?}]/);
    expect(environment(services['onair-1']).METRICS_TOKEN).toMatch(/^\$\{METRICS_TOKEN[:?}]/);
    const relayToken = configs[
      sourceFor(services.alertmanager, '/etc/alertmanager/alert_webhook_token')
    ].content as string;
    expect(relayToken).toMatch(/^\$\{ALERT_WEBHOOK_TOKEN[:?}]/);
    expect(environment(services['onair-1']).ALERT_WEBHOOK_TOKEN).toMatch(
      /^\$\{ALERT_WEBHOOK_TOKEN[:?}]/,
    );
  });

  it('points every network address in the operator configs at a compose service', () => {
    const hosts = new Set(names);
    const prom = loadYaml(FILES.prometheus);
    const targets = (valuesOfKey(prom, 'targets').flat() as string[]).filter(
      (t) => t.split(':')[0] !== 'localhost',
    );
    for (const t of targets) expect([t, hosts.has(t.split(':')[0])]).toEqual([t, true]);
    for (const url of valuesOfKey(loadYaml(FILES.alertmanager), 'url') as string[]) {
      expect([url, hosts.has(new URL(url).hostname)]).toEqual([url, true]);
    }
    for (const m of fs
      .readFileSync(FILES.nginx, 'utf8')
      .matchAll(/^\s*server\s+([A-Za-z0-9._-]+):(\d+)/gm)) {
      expect([m[1], hosts.has(m[1])]).toEqual([m[1], true]);
    }
    expect(new URL(loadYaml(FILES.grafanaDatasource).datasources[0].url as string).hostname).toBe(
      'prometheus',
    );
  });
});

describe('nginx proxy', () => {
  const composeServices = Object.keys(loadYaml(FILES.compose).services as Obj);

  itWithBinary('nginx.conf passes nginx -t', 'nginx', 'nginx', (nginx) => {
    const dir = tmpDir('nginx-t');
    const upstreams: Record<string, string> = {};
    for (const m of fs
      .readFileSync(FILES.nginx, 'utf8')
      .matchAll(/^\s*server\s+([A-Za-z0-9._-]+):(\d+)/gm)) {
      if (composeServices.includes(m[1])) upstreams[`${m[1]}:${m[2]}`] = `127.0.0.1:${m[2]}`;
    }
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(
      conf,
      renderNginxConf(fs.readFileSync(FILES.nginx, 'utf8'), dir, upstreams, 8000),
    );
    run(nginx, ['-t', '-q', '-p', dir, '-c', conf, '-e', 'stderr']);
  });

  describe('running', () => {
    const seen: Seen[] = [];
    let replicas: Array<{ port: number; close: () => Promise<void> }> = [];
    let child: ChildProcess | undefined;
    let port = 0;
    let dir = '';
    const nginx = findBinary('nginx');

    beforeAll(async () => {
      if (!nginx) return;
      replicas = [await fakeReplica('onair-1', seen), await fakeReplica('onair-2', seen)];
      port = await freePort();
      dir = tmpDir('nginx-run');
      const conf = path.join(dir, 'nginx.conf');
      fs.writeFileSync(
        conf,
        renderNginxConf(
          fs.readFileSync(FILES.nginx, 'utf8'),
          dir,
          {
            'onair-1:3000': `127.0.0.1:${replicas[0].port}`,
            'onair-2:3000': `127.0.0.1:${replicas[1].port}`,
          },
          port,
        ),
      );
      let stderr = '';
      child = spawn(nginx, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      await waitForPort(port, child, () => stderr);
    });

    afterAll(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await Promise.all(replicas.map((r) => r.close()));
    });

    itWithBinary(
      'answers /metrics with 404 without reaching a replica, however it is spelled',
      'nginx',
      'nginx',
      async () => {
        for (const p of ['/metrics', '/metrics/', '//metrics', '/%6Detrics', '/metrics?x=1']) {
          const before = seen.length;
          const res = await get(port, p, { Authorization: 'Bearer token' });
          expect([p, res.status]).toEqual([p, 404]);
          expect([p, seen.length]).toEqual([p, before]);
        }
        expect((await get(port, '/nginx-health')).status).toBe(200);
      },
    );

    itWithBinary(
      'passes the client address and request id to the replicas',
      'nginx',
      'nginx',
      async () => {
        const withId = JSON.parse(
          (
            await get(port, '/api/v1/streams', {
              'X-Request-Id': 'req-123',
              'X-Forwarded-For': '203.0.113.9',
            })
          ).body,
        ) as Seen;
        expect(withId.url).toBe('/api/v1/streams');
        expect(withId.headers['x-request-id']).toBe('req-123');
        // A client-supplied X-Forwarded-For is replaced, not trusted.
        expect(withId.headers['x-forwarded-for']).toBe('127.0.0.1');
        expect(withId.headers['x-forwarded-proto']).toBe('http');

        const withoutId = JSON.parse((await get(port, '/api/v1/streams')).body) as Seen;
        expect(withoutId.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
      },
    );

    itWithBinary(
      'keeps query strings, which carry the hook secret, out of the access log',
      'nginx',
      'nginx',
      async () => {
        const res = await get(port, '/api/v1/hooks/nginx-rtmp?secret=do-not-log-me');
        expect(res.status).toBe(200);
        const log = fs.readFileSync(path.join(dir, 'access.log'), 'utf8');
        expect(log).toContain('/api/v1/hooks/nginx-rtmp');
        expect(log).not.toContain('do-not-log-me');
      },
    );

    itWithBinary('spreads REST requests over both replicas', 'nginx', 'nginx', async () => {
      const servers = new Set<string>();
      for (let i = 0; i < 10; i++)
        servers.add((JSON.parse((await get(port, '/api/v1/rooms')).body) as Seen).server);
      expect([...servers].sort()).toEqual(['onair-1', 'onair-2']);
    });

    itWithBinary(
      'keeps Socket.IO long-polling of one client on one replica',
      'nginx',
      'nginx',
      async () => {
        const servers = new Set<string>();
        for (let i = 0; i < 10; i++) {
          const res = await get(port, `/socket.io/?EIO=4&transport=polling&t=${i}`, {
            'X-Forwarded-For': '203.0.113.9',
          });
          const upstream = JSON.parse(res.body) as Seen;
          servers.add(upstream.server);
          expect(upstream.headers['x-forwarded-for']).toBe('127.0.0.1');
        }
        expect(servers.size).toBe(1);
      },
    );

    itWithBinary('upgrades Socket.IO WebSocket connections', 'nginx', 'nginx', async () => {
      const res = await websocketUpgrade(port, '/socket.io/?EIO=4&transport=websocket');
      expect(res.status).toBe(101);
      const upstream = JSON.parse(res.body) as Seen;
      expect(upstream.headers.upgrade).toBe('websocket');
      expect(String(upstream.headers.connection).toLowerCase()).toBe('upgrade');
      expect(upstream.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    });
  });
});

describe('Grafana', () => {
  const dashboard = readJson(FILES.dashboard);
  const panels = (dashboard.panels as Obj[]).flatMap((p) => [
    p,
    ...((p.panels as Obj[] | undefined) ?? []),
  ]);
  const dataPanels = panels.filter((p) => p.type !== 'row');
  const targets = dataPanels.flatMap((p) =>
    ((p.targets ?? []) as Obj[]).map((t): Obj => ({ ...t, panel: p.title as string })),
  );

  it('provisions the Prometheus datasource and loads dashboards from the mounted folder', () => {
    const ds = loadYaml(FILES.grafanaDatasource).datasources as Obj[];
    expect(ds).toEqual([
      expect.objectContaining({
        uid: 'prometheus',
        type: 'prometheus',
        url: 'http://prometheus:9090',
      }),
    ]);

    const providers = loadYaml(FILES.grafanaProvider).providers as Obj[];
    expect(providers).toHaveLength(1);
    expect(providers[0].type).toBe('file');
    const grafana = (loadYaml(FILES.compose).services as Record<string, Obj>).grafana;
    const mounts = serviceMounts(grafana);
    expect(mounts).toContainEqual(
      expect.objectContaining({
        source: './grafana/dashboards',
        target: providers[0].options.path,
      }),
    );
    expect(mounts).toContainEqual(
      expect.objectContaining({
        source: './grafana/provisioning',
        target: '/etc/grafana/provisioning',
      }),
    );
  });

  it('is "OnAir overview" with an instance variable', () => {
    expect(dashboard.title).toBe('OnAir overview');
    expect(dashboard.uid).toBe('onair-overview');
    const variable = (dashboard.templating.list as Obj[]).find((v) => v.name === 'instance');
    expect(variable).toBeDefined();
    const query = typeof variable!.query === 'string' ? variable!.query : variable!.query.query;
    expect(query).toBe('label_values(up{job="onair"}, instance)');
    expect(variable).toMatchObject({ multi: true, includeAll: true, allValue: '.*' });
    expect(variable!.datasource.uid).toBe('prometheus');
  });

  it('has a query with a refId on every panel, on the provisioned datasource', () => {
    expect(dataPanels.length).toBeGreaterThanOrEqual(18);
    const ids = new Set<number>();
    for (const p of dataPanels) {
      expect([p.title, ['timeseries', 'stat'].includes(p.type as string)]).toEqual([p.title, true]);
      expect([p.title, p.datasource?.uid]).toEqual([p.title, 'prometheus']);
      expect([p.title, ((p.targets ?? []) as unknown[]).length > 0]).toEqual([p.title, true]);
      expect(ids.has(p.id as number)).toBe(false);
      ids.add(p.id as number);
    }
    for (const t of targets) {
      expect([t.panel, typeof t.refId, typeof t.expr]).toEqual([t.panel, 'string', 'string']);
      expect([t.panel, (t.expr as string).length > 0]).toEqual([t.panel, true]);
      expect([t.panel, t.datasource?.uid]).toEqual([t.panel, 'prometheus']);
    }
  });

  it('filters every query by the instance variable and rates over $__rate_interval', () => {
    for (const t of targets) {
      const expr = t.expr as string;
      const selectors = [...expr.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
      expect([t.panel, selectors.length > 0]).toEqual([t.panel, true]);
      for (const s of selectors)
        expect([t.panel, s]).toEqual([t.panel, expect.stringContaining('instance=~"$instance"')]);
      for (const r of expr.matchAll(/\b(?:rate|irate|increase)\([^[]*\[([^\]]*)\]/g)) {
        expect([t.panel, r[1]]).toEqual([t.panel, '$__rate_interval']);
      }
    }
  });

  it('only queries metrics OnAir exports and prom-client defaults', () => {
    const allowed = allowedMetricNames();
    for (const t of targets) {
      for (const name of metricNames(t.expr as string)) {
        expect([t.panel, name, allowed.has(name)]).toEqual([t.panel, name, true]);
      }
    }
  });

  it('covers traffic, latency, errors, sockets, streams, viewers, chat, video and the runtime', () => {
    const titles = dataPanels.map((p) => p.title as string);
    const required: RegExp[] = [
      /requests per second by route/i,
      /latency p50 \/ p95 \/ p99/i,
      /5xx/i,
      /429/i,
      /in-flight requests/i,
      /^websocket connections$/i,
      /connects \/ disconnects by reason/i,
      /messages in \/ out per second/i,
      /message handling p99/i,
      /^live streams$/i,
      /publish.*accepted.*rejected/i,
      /^stream viewers$/i,
      /^online viewers$/i,
      /chat.*delivered.*rejected/i,
      /video bytes/i,
      /event-loop lag/i,
      /heap/i,
      /cpu/i,
    ];
    for (const re of required)
      expect([re.source, titles.some((t) => re.test(t))]).toEqual([re.source, true]);
  });

  itWithBinary(
    'has only valid PromQL (promtool check rules)',
    'promtool',
    'prometheus',
    (promtool) => {
      const rules = targets.map((t, i) => ({
        record: `onair:dashboard_query_${i}`,
        expr: (t.expr as string).replace(/\$__rate_interval/g, '1m').replace(/\$instance/g, '.*'),
      }));
      const file = path.join(tmpDir('dashboard'), 'queries.yml');
      fs.writeFileSync(file, yaml.dump({ groups: [{ name: 'dashboard', rules }] }));
      run(promtool, ['check', 'rules', file]);
    },
  );
});
