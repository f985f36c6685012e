/**
 * Alert relay: Alertmanager webhook in, DingTalk / WeCom / Slack robot messages out.
 * A local HTTP server stands in for the three robot services.
 */
import { createHmac } from 'node:crypto';
import { AlertRelayService } from '../../src/alerts/alert-relay.service';
import { LifecycleService } from '../../src/lifecycle/lifecycle.service';
import { startApp, TestApp } from '../helpers/app';
import { suiteModes } from '../helpers/modes';
import { freePort } from '../helpers/process';
import { until } from '../helpers/wait';
import { alertNotificationCounts, ROBOT_PATHS, RobotReceiver } from '../ops/robot-receiver';

const modes = suiteModes('alert relay');

const TOKEN = 'alert-webhook-token-0123456789abcdef';
const DT_SECRET = 'SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd';
const ROUTE = '/api/v1/alerts/alertmanager';

const SUMMARY = 'High 5xx error ratio on /api/v1/streams/:id (onair-1:3000)';
const DESCRIPTION =
  '7.5% of the requests to /api/v1/streams/:id on onair-1:3000 failed with a 5xx status over the last 5 minutes (threshold 5%).';
const RUNBOOK = 'https://github.com/onair/onair/blob/main/docs/operate.md#runbook-higherrorrate';

function alert(status: 'firing' | 'resolved', over: Record<string, unknown> = {}) {
  return {
    status,
    labels: {
      alertname: 'HighErrorRate',
      severity: 'critical',
      instance: 'onair-1:3000',
      job: 'onair',
      route: '/api/v1/streams/:id',
    },
    annotations: { summary: SUMMARY, description: DESCRIPTION, runbook_url: RUNBOOK },
    startsAt: '2025-05-01T12:00:00.123456789Z',
    endsAt: status === 'resolved' ? '2025-05-01T12:17:03Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=up&g0.tab=1',
    fingerprint: status === 'resolved' ? '1b6ee4c2f6e4b1f0' : '4b6ee4c2f6e4b1f0',
    ...over,
  };
}

/** A notification exactly as Alertmanager 0.25+ sends it (webhook payload version 4). */
function notification(over: Record<string, unknown> = {}) {
  return {
    receiver: 'critical',
    status: 'firing',
    alerts: [
      alert('firing'),
      alert('resolved', {
        labels: {
          alertname: 'HighErrorRate',
          severity: 'critical',
          instance: 'onair-2:3000',
          job: 'onair',
        },
      }),
    ],
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: { alertname: 'HighErrorRate', severity: 'critical', job: 'onair' },
    commonAnnotations: { runbook_url: RUNBOOK },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}/{severity="critical"}:{alertname="HighErrorRate"}',
    truncatedAlerts: 0,
    ...over,
  };
}

function delta(after: Record<string, number>, before: Record<string, number>, key: string): number {
  return (after[key] ?? 0) - (before[key] ?? 0);
}

describe.each(modes)('alert relay (%s)', (mode) => {
  let t: TestApp;
  let robots: RobotReceiver;
  const post = (
    body: unknown,
    opts: { token?: string | null; query?: string; headers?: Record<string, string> } = {},
  ) =>
    t.http.request('POST', `${ROUTE}${opts.query ?? ''}`, {
      body,
      token: opts.token === null ? undefined : (opts.token ?? TOKEN),
      headers: opts.headers,
    });

  beforeAll(async () => {
    robots = await new RobotReceiver().start();
    t = await startApp(mode, {
      BODY_LIMIT_BYTES: String(1024 * 1024),
      ALERT_WEBHOOK_TOKEN: TOKEN,
      DINGTALK_SECRET: DT_SECRET,
      LOGIN_THROTTLE_LIMIT: '10',
      ...robots.env,
    });
  });
  afterAll(async () => {
    await t?.close();
    await robots?.close();
  });
  beforeEach(async () => {
    // Nothing of the previous test may still be on its way to the robots.
    await t.app.get(AlertRelayService).whenIdle();
    robots.reset();
  });

  it('forwards one message per robot in its own format, DingTalk signed, and answers at once', async () => {
    const before = await alertNotificationCounts(t.url);
    const started = Date.now();
    const r = await post(notification());
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accepted: 2 });

    const [dt] = await robots.waitFor(ROBOT_PATHS.dingtalk);
    const [wc] = await robots.waitFor(ROBOT_PATHS.wecom);
    const [sl] = await robots.waitFor(ROBOT_PATHS.slack);
    for (const req of [dt, wc, sl]) {
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toMatch(/^application\/json/);
    }

    // DingTalk: markdown {title, text}; the configured access_token kept, timestamp + sign added.
    expect(dt.query.get('access_token')).toBe('dt-access-token');
    const ts = Number(dt.query.get('timestamp'));
    expect(ts).toBeGreaterThanOrEqual(started - 1000);
    expect(ts).toBeLessThanOrEqual(Date.now());
    const sign = createHmac('sha256', DT_SECRET)
      .update(`${ts}\n${DT_SECRET}`, 'utf8')
      .digest('base64');
    expect(dt.query.get('sign')).toBe(sign);
    expect(dt.rawQuery).toContain(`&sign=${encodeURIComponent(sign)}`);
    expect(dt.json).toEqual({
      msgtype: 'markdown',
      markdown: {
        title: '[FIRING:1, RESOLVED:1] HighErrorRate (critical)',
        text: expect.any(String),
      },
    });
    const dtText: string = dt.json.markdown.text;
    expect(dtText.split('\n')[0]).toBe('### [FIRING:1, RESOLVED:1] HighErrorRate (critical)');
    expect(dtText).toContain(
      '#### 🔥 FIRING · HighErrorRate · critical\n- **Instance:** onair-1:3000\n',
    );
    expect(dtText).toContain(
      `- **Summary:** ${SUMMARY}\n- **Description:** ${DESCRIPTION}\n- **Started:** 2025-05-01 12:00:00 UTC\n`,
    );
    expect(dtText).toContain(
      `- [Runbook](${RUNBOOK}) · [Source](http://prometheus:9090/graph?g0.expr=up&g0.tab=1)`,
    );
    expect(dtText).toContain(
      '#### ✅ RESOLVED · HighErrorRate · critical\n- **Instance:** onair-2:3000\n',
    );
    expect(dtText).toContain('- **Resolved:** 2025-05-01 12:17:03 UTC (after 17m 3s)');
    expect(dtText.indexOf('FIRING ·')).toBeLessThan(dtText.indexOf('RESOLVED ·'));
    expect(dtText.endsWith('[Alertmanager](http://alertmanager:9093/)')).toBe(true);

    // WeCom: markdown {content}, the configured key kept, nothing added.
    expect(wc.rawQuery).toBe('key=wecom-key-123');
    expect(wc.json).toEqual({ msgtype: 'markdown', markdown: { content: expect.any(String) } });
    const wcText: string = wc.json.markdown.content;
    expect(wcText.split('\n')[0]).toBe('### [FIRING:1, RESOLVED:1] HighErrorRate (critical)');
    expect(wcText).toContain(
      '**<font color="warning">FIRING</font> HighErrorRate** (critical)\n> Instance: <font color="comment">onair-1:3000</font>\n',
    );
    expect(wcText).toContain(
      `> Summary: ${SUMMARY}\n> Description: ${DESCRIPTION}\n> Started: 2025-05-01 12:00:00 UTC\n`,
    );
    expect(wcText).toContain(`> [Runbook](${RUNBOOK})`);
    expect(wcText).toContain('**<font color="info">RESOLVED</font> HighErrorRate** (critical)');
    expect(Buffer.byteLength(wcText)).toBeLessThanOrEqual(4096);

    // Slack-compatible: {text} in mrkdwn.
    expect(sl.rawQuery).toBe('');
    expect(sl.json).toEqual({ text: expect.any(String) });
    const slText: string = sl.json.text;
    expect(slText.split('\n')[0]).toBe('*[FIRING:1, RESOLVED:1] HighErrorRate (critical)*');
    expect(slText).toContain(':fire: *FIRING* · *HighErrorRate* · critical · `onair-1:3000`\n');
    expect(slText).toContain(
      `*Summary:* ${SUMMARY}\n*Description:* ${DESCRIPTION}\n*Started:* 2025-05-01 12:00:00 UTC\n`,
    );
    expect(slText).toContain(
      `<${RUNBOOK}|Runbook> · <http://prometheus:9090/graph?g0.expr=up&g0.tab=1|Source>`,
    );
    expect(slText).toContain(
      ':white_check_mark: *RESOLVED* · *HighErrorRate* · critical · `onair-2:3000`',
    );

    await t.app.get(AlertRelayService).whenIdle();
    expect(robots.requests).toHaveLength(3);
    const after = await alertNotificationCounts(t.url);
    for (const c of ['dingtalk', 'wecom', 'slack']) {
      expect([c, delta(after, before, `${c}:sent`), delta(after, before, `${c}:failed`)]).toEqual([
        c,
        1,
        0,
      ]);
    }
  });

  it('groups a large notification into one bounded message per robot', async () => {
    const alerts = Array.from({ length: 60 }, (_, i) =>
      alert('firing', {
        labels: {
          alertname: 'InstanceDown',
          severity: 'critical',
          instance: `onair-${i}:3000`,
          job: 'onair',
        },
        annotations: { summary: `Replica onair-${i} is down`, description: 'x'.repeat(900) },
      }),
    );
    const r = await post(
      notification({
        alerts,
        groupLabels: { alertname: 'InstanceDown' },
        commonLabels: { alertname: 'InstanceDown', severity: 'critical' },
        truncatedAlerts: 7,
      }),
    );
    expect(r.body).toEqual({ accepted: 60 });
    await robots.waitFor(ROBOT_PATHS.slack);
    await t.app.get(AlertRelayService).whenIdle();
    expect(robots.requests).toHaveLength(3);
    const dt: string = robots.to(ROBOT_PATHS.dingtalk)[0].json.markdown.text;
    const wc: string = robots.to(ROBOT_PATHS.wecom)[0].json.markdown.content;
    const sl: string = robots.to(ROBOT_PATHS.slack)[0].json.text;
    expect(robots.to(ROBOT_PATHS.dingtalk)[0].json.markdown.title).toBe(
      '[FIRING:60] InstanceDown (critical)',
    );
    expect(Buffer.byteLength(wc)).toBeLessThanOrEqual(4096);
    expect(Array.from(dt).length).toBeLessThanOrEqual(4000);
    expect(Array.from(sl).length).toBeLessThanOrEqual(3500);
    for (const text of [dt, wc, sl]) {
      expect(text).toContain('Replica onair-0 is down');
      expect(text).toMatch(/…and \d+ more alerts not shown\./);
      expect(text).toContain('7 more alerts truncated by Alertmanager');
    }
  });

  it('sends to the channels a receiver asks for with ?channels=', async () => {
    const r = await post(notification({ receiver: 'warning' }), { query: '?channels=wecom' });
    expect(r.status).toBe(200);
    await robots.waitFor(ROBOT_PATHS.wecom);
    await t.app.get(AlertRelayService).whenIdle();
    expect(robots.requests.map((q) => q.path)).toEqual([ROBOT_PATHS.wecom]);

    robots.reset();
    expect((await post(notification(), { query: '?channels=slack,dingtalk' })).status).toBe(200);
    await robots.waitFor(ROBOT_PATHS.dingtalk);
    await robots.waitFor(ROBOT_PATHS.slack);
    await t.app.get(AlertRelayService).whenIdle();
    expect(robots.requests.map((q) => q.path).sort()).toEqual(
      [ROBOT_PATHS.dingtalk, ROBOT_PATHS.slack].sort(),
    );

    for (const query of ['?channels=email', '?channels=', '?channels=wecom,,slack', '?other=1']) {
      const bad = await post(notification(), { query });
      expect([query, bad.status, bad.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
  });

  it('answers 401 in the error shape without the right bearer token, and forwards nothing', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['no header', {}],
      ['wrong token', { authorization: 'Bearer wrong-token-0123456789abcdef' }],
      ['token prefix', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
      ['basic scheme', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
      ['raw token', { authorization: TOKEN }],
    ];
    for (const [name, headers] of cases) {
      const r = await post(notification(), { token: null, headers });
      expect([name, r.status]).toEqual([name, 401]);
      expect(r.body).toMatchObject({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'UNAUTHORIZED',
        requestId: r.headers.get('x-request-id'),
      });
    }
    // The token is checked before the body: garbage with a wrong token is still a 401.
    expect((await post({ nonsense: true }, { token: 'wrong-token-xxxxxxxx' })).status).toBe(401);
    expect(robots.requests).toHaveLength(0);
  });

  it('rejects malformed notifications with 400 VALIDATION_FAILED and forwards nothing', async () => {
    const good = notification();
    const bodies: Array<[string, unknown]> = [
      ['empty object', {}],
      ['array', [good]],
      ['version 3', { ...good, version: '3' }],
      ['version as number', { ...good, version: 4 }],
      ['no alerts', { ...good, alerts: [] }],
      ['alerts not an array', { ...good, alerts: {} }],
      [
        'too many alerts',
        {
          ...good,
          alerts: Array.from({ length: 1001 }, () => ({
            status: 'firing',
            labels: {},
            annotations: {},
            startsAt: '2025-05-01T12:00:00Z',
            endsAt: '2025-05-01T12:00:00Z',
            generatorURL: '',
          })),
        },
      ],
      ['bad status', { ...good, status: 'burning' }],
      ['bad alert status', { ...good, alerts: [alert('firing', { status: 'on fire' })] }],
      [
        'label value not a string',
        { ...good, alerts: [alert('firing', { labels: { alertname: 'X', severity: 5 } })] },
      ],
      ['labels an array', { ...good, commonLabels: ['a'] }],
      [
        'too many labels',
        {
          ...good,
          groupLabels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, 'v'])),
        },
      ],
      [
        'label value too long',
        { ...good, alerts: [alert('firing', { labels: { alertname: 'x'.repeat(1025) } })] },
      ],
      [
        'annotation too long',
        { ...good, alerts: [alert('firing', { annotations: { description: 'x'.repeat(8193) } })] },
      ],
      ['startsAt not a time', { ...good, alerts: [alert('firing', { startsAt: 'yesterday' })] }],
      [
        'missing generatorURL',
        { ...good, alerts: [{ ...alert('firing'), generatorURL: undefined }] },
      ],
      ['negative truncatedAlerts', { ...good, truncatedAlerts: -1 }],
      ['alert is a string', { ...good, alerts: ['firing'] }],
    ];
    for (const [name, body] of bodies) {
      const r = await post(body);
      expect([name, r.status, r.body?.code]).toEqual([name, 400, 'VALIDATION_FAILED']);
      expect(r.text).not.toMatch(/node_modules|at .*\.js/);
    }
    // Nested problems name the field by its full path.
    const nested = await post({
      ...good,
      alerts: [alert('firing'), alert('firing', { startsAt: 'yesterday' })],
    });
    expect(nested.body.message).toEqual(['alerts.1.startsAt must be RFC 3339 date']);
    const broken = await t.http.request('POST', ROUTE, {
      raw: '{"version":"4",',
      token: TOKEN,
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe('VALIDATION_FAILED');
    const tooBig = await t.http.request('POST', ROUTE, {
      raw: JSON.stringify({ ...good, pad: 'x'.repeat(1100 * 1024) }),
      token: TOKEN,
      headers: { 'content-type': 'application/json' },
    });
    expect(tooBig.status).toBe(413);
    expect(robots.requests).toHaveLength(0);
  });

  it('accepts (and ignores) fields a newer Alertmanager may add, but nothing else changes', async () => {
    const body = notification({
      newTopLevelField: { any: 'thing' },
      alerts: [{ ...alert('firing'), silencedBy: ['x'], extra: 1 }],
    });
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accepted: 1 });
    const [sl] = await robots.waitFor(ROBOT_PATHS.slack);
    expect(sl.text).not.toContain('newTopLevelField');
    expect(sl.text).not.toContain('silencedBy');
  });

  it('accepts a notification from an older Alertmanager, which sends no truncatedAlerts', async () => {
    const { truncatedAlerts: _absent, ...older } = notification();
    const r = await post(older);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accepted: older.alerts.length });
    const [sl] = await robots.waitFor(ROBOT_PATHS.slack);
    expect(sl.text).toContain('HighErrorRate');
    expect(sl.text).not.toContain('truncated');
  });

  it('retries failed deliveries with backoff and counts the outcome per channel', async () => {
    const before = await alertNotificationCounts(t.url);
    robots.script(ROBOT_PATHS.dingtalk, { status: 500, body: { error: 'busy' } }); // then the default {errcode:0}
    robots.script(ROBOT_PATHS.wecom, {
      status: 200,
      body: { errcode: 93000, errmsg: 'invalid webhook url' },
    }); // permanent: no retry
    robots.script(
      ROBOT_PATHS.slack,
      { status: 503, body: 'x' },
      { status: 503, body: 'x' },
      { status: 503, body: 'x' },
      { status: 200, body: 'ok' },
    );
    const started = Date.now();
    const r = await post(notification());
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);

    await robots.waitFor(ROBOT_PATHS.dingtalk, 2);
    await robots.waitFor(ROBOT_PATHS.slack, 3);
    await t.app.get(AlertRelayService).whenIdle();
    const dt = robots.to(ROBOT_PATHS.dingtalk);
    expect(dt).toHaveLength(2);
    // Exponential backoff: the retry waits (500 ms ± 20 %), the second wait is twice as long.
    expect(dt[1].at - dt[0].at).toBeGreaterThanOrEqual(350);
    const sl = robots.to(ROBOT_PATHS.slack);
    expect(sl).toHaveLength(3);
    expect(sl[1].at - sl[0].at).toBeGreaterThanOrEqual(350);
    expect(sl[2].at - sl[1].at).toBeGreaterThanOrEqual(750);
    // Every attempt to a signed robot carries a valid signature of its own time.
    for (const q of dt) {
      const ts = q.query.get('timestamp')!;
      expect(q.query.get('sign')).toBe(
        createHmac('sha256', DT_SECRET).update(`${ts}\n${DT_SECRET}`).digest('base64'),
      );
    }
    expect(robots.to(ROBOT_PATHS.wecom)).toHaveLength(1);

    const after = await alertNotificationCounts(t.url);
    expect(delta(after, before, 'dingtalk:sent')).toBe(1);
    expect(delta(after, before, 'dingtalk:failed')).toBe(0);
    expect(delta(after, before, 'wecom:sent')).toBe(0);
    expect(delta(after, before, 'wecom:failed')).toBe(1);
    expect(delta(after, before, 'slack:sent')).toBe(0);
    expect(delta(after, before, 'slack:failed')).toBe(1);
  });

  it('is documented in Swagger with bearer auth and the body schema', async () => {
    const doc = (await t.http.get('/docs-json')).body;
    const op = doc.paths[ROUTE].post;
    expect(op.tags).toEqual(['alerts']);
    expect(op.security).toEqual([{ bearer: [] }]);
    expect(op.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/AlertmanagerWebhookDto',
    );
    expect(op.requestBody.content['application/json'].examples.firing.value.version).toBe('4');
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '404', '429', '503']),
    );
    const schema = doc.components.schemas.AlertmanagerWebhookDto;
    expect(schema.required).toEqual(
      expect.arrayContaining([
        'version',
        'status',
        'alerts',
        'groupLabels',
        'commonLabels',
        'externalURL',
      ]),
    );
    expect(schema.properties.alerts.maxItems).toBe(1000);
    expect(op.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'channels', in: 'query', required: false }),
      ]),
    );
  });

  it('limits wrong-token attempts per address with 429, while the right token keeps working', async () => {
    let limited: Awaited<ReturnType<typeof post>> | undefined;
    const beforeLimit: number[] = [];
    for (let i = 0; i < 12 && !limited; i++) {
      const r = await post(notification(), { token: `wrong-token-${i}-0123456789` });
      if (r.status === 429) limited = r;
      else beforeLimit.push(r.status);
    }
    expect(beforeLimit.filter((s) => s !== 401)).toEqual([]);
    expect(limited).toBeDefined();
    expect(limited!.body.code).toBe('RATE_LIMITED');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    const ok = await post(notification());
    expect(ok.status).toBe(200);
    await robots.waitFor(ROBOT_PATHS.slack);
  });
});

describe('alert relay with robots down or hanging', () => {
  let t: TestApp;
  let robots: RobotReceiver;
  const post = (body: unknown) => t.http.post(ROUTE, body, TOKEN);

  beforeAll(async () => {
    robots = await new RobotReceiver().start();
    const closedPort = await freePort();
    t = await startApp('embedded', {
      ALERT_WEBHOOK_TOKEN: TOKEN,
      // Nothing listens there: every attempt is refused.
      DINGTALK_WEBHOOK_URL: `http://127.0.0.1:${closedPort}/robot/send?access_token=x`,
      WECOM_WEBHOOK_URL: robots.env.WECOM_WEBHOOK_URL,
    });
  });
  afterAll(async () => {
    await t?.close();
    await robots?.close();
  });

  it('answers 200 at once while one robot is down and another never answers, then counts the failure', async () => {
    robots.script(ROBOT_PATHS.wecom, { status: 200, hang: true });
    const before = await alertNotificationCounts(t.url);
    const started = Date.now();
    const r = await post(notification());
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accepted: 2 });
    expect(Date.now() - started).toBeLessThan(1000);
    await robots.waitFor(ROBOT_PATHS.wecom);
    // Refused three times (with 0.5 s + 1 s of backoff), then counted as failed.
    await until(
      async () => delta(await alertNotificationCounts(t.url), before, 'dingtalk:failed') === 1,
      { timeoutMs: 15000, message: 'dingtalk failure was not counted' },
    );
    const after = await alertNotificationCounts(t.url);
    expect(delta(after, before, 'dingtalk:sent')).toBe(0);
    // The hanging WeCom robot is still being waited for (5 s timeout per attempt): not counted yet.
    expect(delta(after, before, 'wecom:failed')).toBe(0);
    expect(delta(after, before, 'slack:failed')).toBe(0);
  });

  it('keeps a bounded queue per robot under a flood: the excess is dropped and counted as failed', async () => {
    const before = await alertNotificationCounts(t.url);
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 150; i++)
      statuses.push((await post(notification({ groupKey: `flood-${i}` }))).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // 150 requests in well under the time a single robot attempt may take.
    expect(Date.now() - started).toBeLessThan(15000);
    const after = await alertNotificationCounts(t.url);
    // WeCom hangs: one message in flight, at most 100 waiting; the rest was dropped on arrival.
    expect(delta(after, before, 'wecom:failed')).toBeGreaterThanOrEqual(49);
    expect(delta(after, before, 'wecom:sent')).toBe(0);
    expect(t.app.get(AlertRelayService).pending).toBeLessThanOrEqual(2 * 101);
    expect(t.logs().some((l) => l.includes('Alert relay queue is full'))).toBe(true);
    // The webhook URLs carry the robots' access tokens: never logged.
    expect(t.logs().some((l) => l.includes('access_token') || l.includes('wecom-key-123'))).toBe(
      false,
    );
  });

  it('answers 503 while the replica drains, so that Alertmanager retries elsewhere', async () => {
    await t.app.get(LifecycleService).beginDrain();
    const r = await post(notification());
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('SERVICE_UNAVAILABLE');
  });
});

describe('alert relay without ALERT_WEBHOOK_TOKEN', () => {
  let t: TestApp;
  let robots: RobotReceiver;
  beforeAll(async () => {
    robots = await new RobotReceiver().start();
    t = await startApp('embedded', robots.env);
  });
  afterAll(async () => {
    await t?.close();
    await robots?.close();
  });

  it('is disabled: 404 in the error shape whatever is sent, and nothing is forwarded', async () => {
    for (const token of [undefined, 'anything-at-all-123']) {
      const r = await t.http.post(ROUTE, notification(), token);
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({
        statusCode: 404,
        code: 'NOT_FOUND',
        message: 'The alert relay is not enabled on this server',
      });
    }
    expect(robots.requests).toHaveLength(0);
  });
});
