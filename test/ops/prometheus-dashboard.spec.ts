/**
 * The Grafana dashboard and the alert rules against a real Prometheus (Debian package
 * `prometheus`) scraping a real OnAir: after some traffic of every kind (HTTP, sockets, hooks,
 * alert relay), every panel query of docker/grafana/dashboards/onair.json must evaluate without
 * error and return series, every rule of docker/prometheus/alerts.yml must evaluate without
 * error, and `promtool check metrics` must find nothing to lint in a real /metrics body.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { io, Socket } from 'socket.io-client';
import { LifecycleService } from '../../src/lifecycle/lifecycle.service';
import { AlertRelayService } from '../../src/alerts/alert-relay.service';
import { startApp, TestApp } from '../helpers/app';
import { freePort } from '../helpers/process';
import { until } from '../helpers/wait';
import {
  Daemon,
  describeWithBinaries,
  DOCKER,
  runWithInput,
  startDaemon,
  tmpDir,
  waitHttpOk,
} from './ops-helpers';
import { ROBOT_PATHS, RobotReceiver } from './robot-receiver';

const METRICS_TOKEN = 'metrics-token-for-prometheus-0123456789';
const ALERT_TOKEN = 'alert-token-for-dashboard-test-0123456789';
/** What the dashboard's $__rate_interval becomes: 4 × the 1 s scrape interval of this test, with margin. */
const RATE_INTERVAL = '15s';

type Obj = Record<string, any>;

interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

function dashboardQueries(): PanelQuery[] {
  const dashboard = JSON.parse(
    fs.readFileSync(path.join(DOCKER, 'grafana', 'dashboards', 'onair.json'), 'utf8'),
  ) as Obj;
  const panels = (dashboard.panels as Obj[]).flatMap((p) => [
    p,
    ...((p.panels as Obj[] | undefined) ?? []),
  ]);
  return panels.flatMap((p) =>
    ((p.targets ?? []) as Obj[])
      .filter((t) => typeof t.expr === 'string' && !t.hide)
      .map((t) => ({ panel: String(p.title), refId: String(t.refId), expr: String(t.expr) })),
  );
}

/**
 * Grafana's template variables as Grafana would expand them for "All instances" over the last
 * minutes, with this test's 1 s scrape interval. An unknown variable fails the test, so that a
 * new dashboard variable is not silently left in a query.
 */
const VARIABLES: Record<string, string> = {
  instance: '.*',
  __rate_interval: RATE_INTERVAL,
  __interval: '1s',
  __interval_ms: '1000',
  __range: '5m',
  __range_s: '300',
  __range_ms: '300000',
};
function expandVariables(expr: string): string {
  return expr.replace(
    /\$\{(\w+)(?::\w+)?\}|\$(\w+)/g,
    (_m, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      const value = VARIABLES[name];
      if (value === undefined)
        throw new Error(`dashboard variable $${name} has no test value: add it to VARIABLES`);
      return value;
    },
  );
}

/** Prometheus configuration derived from docker/prometheus/prometheus.yml: same job and auth, local target, 1 s intervals. */
function localPrometheusConfig(target: string, tokenFile: string): string {
  const prod = yaml.load(
    fs.readFileSync(path.join(DOCKER, 'prometheus', 'prometheus.yml'), 'utf8'),
  ) as Obj;
  const job = (prod.scrape_configs as Obj[]).find((j) => j.job_name === 'onair');
  if (!job) throw new Error('docker/prometheus/prometheus.yml has no "onair" job');
  return yaml.dump({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [path.join(DOCKER, 'prometheus', 'alerts.yml')],
    scrape_configs: [
      {
        ...job,
        authorization: { ...job.authorization, credentials_file: tokenFile },
        static_configs: [{ targets: [target] }],
      },
    ],
  });
}

function nginxRtmpForm(call: string, streamId: string, extra: Record<string, string>): string {
  return new URLSearchParams({
    call,
    app: 'live',
    name: streamId,
    addr: '127.0.0.1',
    clientid: String(Math.floor(Math.random() * 1e6)),
    tcurl: 'rtmp://localhost:1935/live',
    ...extra,
  }).toString();
}

function connectChat(base: string, token?: string): Promise<Socket> {
  const socket = io(`${base}/chat`, {
    transports: ['websocket'],
    auth: token ? { token } : {},
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/**
 * Some traffic of every kind the dashboard shows. Each step is allowed to fail (a feature may
 * not be there yet): what could not be done is returned and printed, and the strict panel
 * checks below then say which panels stay empty because of it.
 */
async function generateTraffic(t: TestApp, robots: RobotReceiver): Promise<string[]> {
  const notes: string[] = [];
  const step = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      notes.push(`${name}: ${(err as Error).message}`);
    }
  };
  const expectStatus = (what: string, got: number, ...want: number[]) => {
    if (!want.includes(got))
      throw new Error(`${what} answered ${got}, expected ${want.join(' or ')}`);
  };
  let user: { token: string; id: string; username: string; password: string } | undefined;
  let roomId: string | undefined;

  await step('auth', async () => {
    user = await t.http.user('dash');
    expectStatus(
      'login',
      (
        await t.http.post('/api/v1/auth/login', {
          username: user.username,
          password: user.password,
        })
      ).status,
      200,
    );
    expectStatus('me', (await t.http.get('/api/v1/auth/me', user.token)).status, 200);
    expectStatus('me without token', (await t.http.get('/api/v1/auth/me')).status, 401);
    expectStatus(
      'bad register',
      (await t.http.post('/api/v1/auth/register', { username: 'x' })).status,
      400,
    );
  });
  await step('404s', async () => {
    expectStatus('unknown path', (await t.http.get('/api/v1/no-such-thing')).status, 404);
    expectStatus('unknown path 2', (await t.http.get('/definitely/not/here')).status, 404);
    expectStatus(
      'unknown stream',
      (await t.http.get('/api/v1/streams/00000000-0000-4000-8000-000000000000')).status,
      404,
    );
  });
  await step('429 (login limit)', async () => {
    const name = user?.username ?? 'nobody_dash';
    let limited = false;
    for (let i = 0; i < 10 && !limited; i++)
      limited =
        (
          await t.http.post('/api/v1/auth/login', {
            username: name,
            password: `wrong-password-${i}`,
          })
        ).status === 429;
    if (!limited) throw new Error('no 429 after 10 wrong logins');
  });
  await step('health', async () => {
    expectStatus('live', (await t.http.get('/health/live')).status, 200);
    expectStatus('health', (await t.http.get('/health')).status, 200);
  });
  await step('rooms', async () => {
    if (!user) throw new Error('no user');
    const r = await t.http.post('/api/v1/rooms', { name: 'Dashboard room' }, user.token);
    expectStatus('create room', r.status, 201);
    roomId = r.body.id;
    expectStatus('list rooms', (await t.http.get('/api/v1/rooms')).status, 200);
    expectStatus(
      'heartbeat',
      (await t.http.post(`/api/v1/rooms/${roomId}/heartbeat`, { viewerId: 'viewer-dashboard-1' }))
        .status,
      204,
    );
  });
  await step('streams and nginx-rtmp hooks', async () => {
    if (!user) throw new Error('no user');
    const s = await t.http.post('/api/v1/streams', { title: 'Dashboard stream' }, user.token);
    expectStatus('create stream', s.status, 201);
    const id = s.body.id as string;
    const key = s.body.streamKey as string;
    if (roomId) await t.http.patch(`/api/v1/streams/${id}`, { roomId }, user.token);
    const hook = (form: string) =>
      t.http.request(
        'POST',
        `/api/v1/hooks/nginx-rtmp?secret=${encodeURIComponent(t.env.HOOK_SECRET)}`,
        { raw: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      );
    expectStatus(
      'publish with a wrong key',
      (await hook(nginxRtmpForm('publish', id, { key: 'wrong-key' }))).status,
      403,
    );
    expectStatus('publish', (await hook(nginxRtmpForm('publish', id, { key }))).status, 200);
    const session = await t.http.post(`/api/v1/streams/${id}/playback`);
    expectStatus('playback session', session.status, 201);
    const play = new URL(String(session.body?.hls ?? ''), 'http://x');
    const sid = play.searchParams.get('sid');
    const exp = play.searchParams.get('exp');
    const sig = play.searchParams.get('sig');
    if (sid && exp && sig)
      expectStatus('play', (await hook(nginxRtmpForm('play', id, { sid, exp, sig }))).status, 200);
    else notes.push('streams: no signed playback URL to play with');
    expectStatus('list streams', (await t.http.get('/api/v1/streams?status=live')).status, 200);
  });
  await step('chat sockets', async () => {
    if (!user || !roomId) throw new Error('no user or room');
    const member = await connectChat(t.url, user.token);
    const viewer = await connectChat(t.url);
    try {
      const joined = (await member.timeout(5000).emitWithAck('room:join', { roomId })) as Obj;
      if (!joined.ok) throw new Error(`room:join refused: ${JSON.stringify(joined)}`);
      await viewer.timeout(5000).emitWithAck('room:join', { roomId });
      const sent = (await member
        .timeout(5000)
        .emitWithAck('chat:send', { roomId, text: 'hello dashboard' })) as Obj;
      if (!sent.ok) throw new Error(`chat:send refused: ${JSON.stringify(sent)}`);
      // Refused sends: rejected chat messages and a validation error.
      await viewer.timeout(5000).emitWithAck('chat:send', { roomId, text: 'anonymous' });
      await member.timeout(5000).emitWithAck('chat:send', { roomId, text: '' });
      await member.timeout(5000).emitWithAck('presence:heartbeat', { roomId });
      await member.timeout(5000).emitWithAck('room:leave', { roomId });
    } finally {
      // Closed by the client: a disconnect reason and a connection duration are recorded.
      member.close();
      await until(
        async () => {
          const text = await (
            await fetch(`${t.url}/metrics`, {
              headers: { authorization: `Bearer ${METRICS_TOKEN}` },
            })
          ).text();
          return /^websocket_disconnects_total\{[^}]*\} [1-9]/m.test(text);
        },
        { timeoutMs: 5000, message: 'the socket disconnect was not counted' },
      ).catch((err: Error) => notes.push(`chat sockets: ${err.message}`));
      viewer.close();
    }
  });
  await step('alert relay', async () => {
    const body = {
      version: '4',
      groupKey: '{}:{alertname="DashboardTest"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'critical',
      groupLabels: { alertname: 'DashboardTest' },
      commonLabels: { alertname: 'DashboardTest', severity: 'warning' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'DashboardTest', severity: 'warning' },
          annotations: { summary: 'dashboard traffic' },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
        },
      ],
    };
    expectStatus(
      'relay',
      (await t.http.post('/api/v1/alerts/alertmanager', body, ALERT_TOKEN)).status,
      200,
    );
    await robots.waitFor(ROBOT_PATHS.wecom);
    await t.app.get(AlertRelayService).whenIdle();
  });
  // Last, because it cannot be undone: a draining replica answers readiness with 503, which
  // is the one 5xx a healthy app gives on purpose (the 5xx panels need a series).
  await step('5xx (draining readiness)', async () => {
    await t.app.get(LifecycleService).beginDrain();
    expectStatus('ready while draining', (await t.http.get('/health/ready')).status, 503);
  });
  return notes;
}

async function promQuery(
  base: string,
  query: string,
): Promise<{ status: string; error?: string; data?: { resultType: string; result: Obj[] } }> {
  const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query }).toString()}`);
  return (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Obj[] };
  };
}

describeWithBinaries(
  'Grafana dashboard and alert rules on a real Prometheus',
  [
    { binary: 'prometheus', aptPackage: 'prometheus' },
    { binary: 'promtool', aptPackage: 'prometheus' },
  ],
  (bins) => {
    let t: TestApp;
    let robots: RobotReceiver;
    let prom: Daemon;
    let promUrl = '';
    let dir = '';
    let trafficNotes: string[] = [];

    beforeAll(async () => {
      robots = await new RobotReceiver().start();
      t = await startApp('embedded', {
        METRICS_TOKEN,
        ALERT_WEBHOOK_TOKEN: ALERT_TOKEN,
        WECOM_WEBHOOK_URL: robots.env.WECOM_WEBHOOK_URL,
        LOGIN_THROTTLE_LIMIT: '3',
      });
      trafficNotes = await generateTraffic(t, robots);
      if (trafficNotes.length)
        process.stderr.write(
          `\n!!! dashboard traffic could not do everything:\n  - ${trafficNotes.join('\n  - ')}\n\n`,
        );

      dir = tmpDir('prometheus');
      const tokenFile = path.join(dir, 'metrics_token');
      fs.writeFileSync(tokenFile, `${METRICS_TOKEN}\n`);
      const configFile = path.join(dir, 'prometheus.yml');
      fs.writeFileSync(configFile, localPrometheusConfig(new URL(t.url).host, tokenFile));
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      prom = startDaemon(bins.prometheus, [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ]);
      await waitHttpOk(prom, `${promUrl}/-/ready`, 'prometheus');
      // Scraped (with the bearer token) and with enough samples for every rate window.
      await until(
        async () => {
          const targets = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as Obj;
          const onair = (targets.data.activeTargets as Obj[]).find((x) => x.labels.job === 'onair');
          if (onair?.health === 'down') throw new Error(`scrape failing: ${onair.lastError}`);
          return onair?.health === 'up';
        },
        {
          timeoutMs: 30000,
          intervalMs: 200,
          message: 'prometheus did not scrape OnAir successfully',
        },
      );
      await until(
        async () => {
          const r = await promQuery(promUrl, 'count_over_time(up{job="onair"}[1m])');
          return Number(r.data?.result[0]?.value?.[1] ?? 0) >= 6;
        },
        { timeoutMs: 30000, intervalMs: 250, message: 'prometheus did not collect 6 scrapes' },
      );
    }, 120000);

    afterAll(async () => {
      await prom?.stop();
      await t?.close();
      await robots?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('scrapes OnAir as job "onair" with the metrics token: up == 1', async () => {
      const r = await promQuery(promUrl, 'up{job="onair"}');
      expect(r.status).toBe('success');
      expect(r.data!.result).toHaveLength(1);
      expect(r.data!.result[0].value[1]).toBe('1');
    });

    it('evaluates every dashboard panel query without error and with series', async () => {
      const queries = dashboardQueries();
      expect(queries.length).toBeGreaterThanOrEqual(20);
      const problems: string[] = [];
      for (const q of queries) {
        const expr = expandVariables(q.expr);
        const r = await promQuery(promUrl, expr);
        if (r.status !== 'success')
          problems.push(`"${q.panel}" ${q.refId}: error ${r.error ?? r.status}\n      ${expr}`);
        else if (!r.data || r.data.result.length === 0)
          problems.push(`"${q.panel}" ${q.refId}: no series\n      ${expr}`);
      }
      const hint = trafficNotes.length
        ? `\n(traffic steps that failed: ${trafficNotes.join('; ')})`
        : '';
      expect(problems.join('\n') + (problems.length ? hint : '')).toBe('');
    });

    it('evaluates every alert rule of alerts.yml on real data without error', async () => {
      const rules = await until(
        async () => {
          const body = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as Obj;
          const all = (body.data.groups as Obj[]).flatMap((g) => g.rules as Obj[]);
          return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : null;
        },
        { timeoutMs: 20000, intervalMs: 250, message: 'the alert rules were not evaluated' },
      );
      const alertNames = (
        yaml.load(fs.readFileSync(path.join(DOCKER, 'prometheus', 'alerts.yml'), 'utf8')) as Obj
      ).groups.flatMap((g: Obj) => (g.rules as Obj[]).map((r) => r.alert as string));
      expect(rules.map((r) => r.name).sort()).toEqual([...alertNames].sort());
      const broken = rules
        .filter((r) => r.health !== 'ok')
        .map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`);
      expect(broken).toEqual([]);
      // A quiet, healthy replica pages nobody.
      const firing = rules.filter((r) => r.state === 'firing').map((r) => r.name);
      expect(firing).toEqual([]);
    });

    it('passes promtool check metrics on a real /metrics body', async () => {
      const res = await fetch(`${t.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain('alert_notifications_total{channel="wecom",result="sent"} 1');
      const { code, output } = runWithInput(bins.promtool, ['check', 'metrics'], body);
      expect(output.trim()).toBe('');
      expect(code).toBe(0);
    });
  },
);
