/**
 * A real Alertmanager (Debian package prometheus-alertmanager) with the routing of
 * docker/alertmanager/alertmanager.yml, delivering to OnAir's relay, which forwards to local
 * stand-ins for the DingTalk, WeCom and Slack robots. Alerts are injected with amtool.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { AlertRelayService } from '../../src/alerts/alert-relay.service';
import { startApp, TestApp } from '../helpers/app';
import { freePort } from '../helpers/process';
import { until } from '../helpers/wait';
import {
  Daemon,
  describeWithBinaries,
  DOCKER,
  startDaemon,
  tmpDir,
  waitHttpOk,
} from './ops-helpers';
import { alertNotificationCounts, ROBOT_PATHS, RobotReceiver } from './robot-receiver';

const TOKEN = 'relay-token-for-alertmanager-0123456789';

/** Sum of an Alertmanager counter over the series of the webhook integration. */
async function webhookCounter(amUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${amUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes('integration="webhook"'))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * The repository's alertmanager.yml, pointed at this test's relay: same routes, receivers,
 * channels and inhibitions; the relay URL and token made local; e-mail removed (no SMTP here,
 * and no traffic may leave the machine); group_wait/group_interval shortened so a test
 * does not wait 30 s / 5 min.
 */
function localConfig(relayUrl: string): string {
  const config = yaml.load(
    fs.readFileSync(path.join(DOCKER, 'alertmanager', 'alertmanager.yml'), 'utf8'),
  ) as Record<string, any>;
  config.route.group_wait = '1s';
  config.route.group_interval = '1s';
  for (const r of config.receivers as Record<string, any>[]) {
    delete r.email_configs;
    for (const hook of r.webhook_configs ?? []) {
      hook.url = String(hook.url).replace(/^http:\/\/nginx(?=\/)/, relayUrl);
      hook.http_config = { authorization: { type: 'Bearer', credentials: TOKEN } };
    }
  }
  return yaml.dump(config);
}

describeWithBinaries(
  'Alertmanager → OnAir relay → robots',
  [
    { binary: 'prometheus-alertmanager', aptPackage: 'prometheus-alertmanager' },
    { binary: 'amtool', aptPackage: 'prometheus-alertmanager' },
  ],
  (bins) => {
    let t: TestApp;
    let robots: RobotReceiver;
    let am: Daemon;
    let amUrl = '';
    let dir = '';

    const amtool = (...args: string[]) =>
      execFileSync(bins.amtool, [...args, `--alertmanager.url=${amUrl}`], {
        encoding: 'utf8',
        timeout: 30000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const relayIdle = () => t.app.get(AlertRelayService).whenIdle();

    beforeAll(async () => {
      robots = await new RobotReceiver().start();
      t = await startApp('embedded', { ALERT_WEBHOOK_TOKEN: TOKEN, ...robots.env });
      dir = tmpDir('alertmanager');
      const configFile = path.join(dir, 'alertmanager.yml');
      fs.writeFileSync(configFile, localConfig(t.url));
      execFileSync(bins.amtool, ['check-config', configFile], { encoding: 'utf8' });
      const port = await freePort();
      amUrl = `http://127.0.0.1:${port}`;
      am = startDaemon(bins['prometheus-alertmanager'], [
        `--config.file=${configFile}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ]);
      await waitHttpOk(am, `${amUrl}/-/ready`, 'alertmanager');
    }, 60000);

    afterAll(async () => {
      await am?.stop();
      await t?.close();
      await robots?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('delivers a critical alert to every robot, through the relay, within seconds', async () => {
      const before = await alertNotificationCounts(t.url);
      amtool(
        'alert',
        'add',
        'alertname=TestAlert',
        'severity=critical',
        'instance=x',
        '--annotation=summary=Test alert from amtool',
        '--annotation=description=Raised by the alertmanager relay test.',
        '--annotation=runbook_url=https://github.com/onair/onair/blob/main/docs/operate.md#runbook-testalert',
      );
      const deadline = 30000;
      const [dt] = await robots.waitFor(ROBOT_PATHS.dingtalk, 1, deadline);
      const [wc] = await robots.waitFor(ROBOT_PATHS.wecom, 1, deadline);
      const [sl] = await robots.waitFor(ROBOT_PATHS.slack, 1, deadline);

      expect(dt.json.markdown.title).toBe('[FIRING:1] TestAlert (critical)');
      for (const text of [
        dt.json.markdown.text as string,
        wc.json.markdown.content as string,
        sl.json.text as string,
      ]) {
        expect(text).toContain('TestAlert');
        expect(text).toContain('critical');
        expect(text).toContain('FIRING');
        expect(text).toMatch(/Instance:\*?\*? (<font color="comment">)?x\b|`x`/);
        expect(text).toContain('Test alert from amtool');
        expect(text).toContain('Raised by the alertmanager relay test.');
        expect(text).toContain(
          'https://github.com/onair/onair/blob/main/docs/operate.md#runbook-testalert',
        );
      }
      expect(await webhookCounter(amUrl, 'alertmanager_notifications_failed_total')).toBe(0);
      await relayIdle();
      const after = await alertNotificationCounts(t.url);
      for (const c of ['dingtalk', 'wecom', 'slack'])
        expect([c, (after[`${c}:sent`] ?? 0) - (before[`${c}:sent`] ?? 0)]).toEqual([c, 1]);
    });

    it('sends a warning to the WeCom robot only (the warning receiver asks for ?channels=wecom)', async () => {
      await relayIdle();
      robots.reset();
      const sentBefore = await webhookCounter(amUrl, 'alertmanager_notifications_total');
      amtool(
        'alert',
        'add',
        'alertname=TestWarning',
        'severity=warning',
        'instance=y',
        '--annotation=summary=Just a warning',
      );
      const [wc] = await robots.waitFor(ROBOT_PATHS.wecom, 1, 30000);
      expect(wc.json.markdown.content).toContain('TestWarning');
      expect(wc.json.markdown.content).toContain('Just a warning');
      // Alertmanager has finished that notification and the relay has nothing left to send.
      await until(
        async () => (await webhookCounter(amUrl, 'alertmanager_notifications_total')) > sentBefore,
        { timeoutMs: 10000, message: 'alertmanager did not count the notification' },
      );
      await relayIdle();
      expect(robots.requests.map((r) => r.path)).toEqual([ROBOT_PATHS.wecom]);
    });

    it('sends the RESOLVED message when the alert ends', async () => {
      await relayIdle();
      robots.reset();
      const now = new Date();
      amtool(
        'alert',
        'add',
        'alertname=TestAlert',
        'severity=critical',
        'instance=x',
        '--annotation=summary=Test alert from amtool',
        `--end=${now.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      );
      const resolved = await until(
        () =>
          robots
            .to(ROBOT_PATHS.slack)
            .find((r) => (r.json?.text as string | undefined)?.includes('RESOLVED')),
        {
          timeoutMs: 30000,
          message: 'no RESOLVED message reached the Slack robot',
        },
      );
      expect(resolved.json.text).toMatch(/^\*\[RESOLVED\] TestAlert \(critical\)\*/);
      expect(resolved.json.text).toContain(
        ':white_check_mark: *RESOLVED* · *TestAlert* · critical · `x`',
      );
    });
  },
);
