/**
 * A local stand-in for the DingTalk, WeCom and Slack robot webhooks: a plain node HTTP server
 * on 127.0.0.1 that records every request and answers like the real service (or as scripted).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { until } from '../helpers/wait';

export interface ReceivedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The raw query string (after "?"), as sent on the wire. */
  rawQuery: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
  at: number;
}

export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  /** Never answer (the request hangs until the client gives up). */
  hang?: boolean;
}

export const ROBOT_PATHS = {
  dingtalk: '/dingtalk/robot/send',
  wecom: '/wecom/cgi-bin/webhook/send',
  slack: '/slack/services/T000/B000/XXXX',
} as const;

/** What the real services answer to a good request. */
function defaultAnswer(path: string): ScriptedAnswer {
  if (path === ROBOT_PATHS.slack) return { status: 200, body: 'ok' };
  return { status: 200, body: { errcode: 0, errmsg: 'ok' } };
}

export class RobotReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly scripts = new Map<string, ScriptedAnswer[]>();
  private readonly server: http.Server;
  private readonly hanging = new Set<http.ServerResponse>();
  url = '';

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const [path = '', rawQuery = ''] = (req.url ?? '').split('?', 2);
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        this.requests.push({
          method: req.method ?? '',
          path,
          rawQuery,
          query: new URLSearchParams(rawQuery),
          headers: req.headers,
          text,
          json,
          at: Date.now(),
        });
        const answer = this.scripts.get(path)?.shift() ?? defaultAnswer(path);
        if (answer.hang) {
          this.hanging.add(res);
          res.on('close', () => this.hanging.delete(res));
          return;
        }
        const body =
          typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
        res.writeHead(answer.status, {
          'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
        });
        res.end(body);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The webhook URLs as an operator would configure them (with their access tokens). */
  get env(): Record<string, string> {
    return {
      DINGTALK_WEBHOOK_URL: `${this.url}${ROBOT_PATHS.dingtalk}?access_token=dt-access-token`,
      WECOM_WEBHOOK_URL: `${this.url}${ROBOT_PATHS.wecom}?key=wecom-key-123`,
      SLACK_WEBHOOK_URL: `${this.url}${ROBOT_PATHS.slack}`,
    };
  }

  /** The next answers for `path`, in order; afterwards the default answer again. */
  script(path: string, ...answers: ScriptedAnswer[]): void {
    this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...answers]);
  }

  to(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  reset(): void {
    this.requests.length = 0;
    this.scripts.clear();
  }

  /** Waits until `path` has received at least `count` requests; returns them. */
  async waitFor(path: string, count = 1, timeoutMs = 10000): Promise<ReceivedRequest[]> {
    return until(() => (this.to(path).length >= count ? this.to(path) : null), {
      timeoutMs,
      message: `${path} did not receive ${count} request(s) (got ${this.to(path).length})`,
    });
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** alert_notifications_total{channel,result} as /metrics shows it right now. */
export async function alertNotificationCounts(
  baseUrl: string,
  metricsToken?: string,
): Promise<Record<string, number>> {
  const res = await fetch(`${baseUrl}/metrics`, {
    headers: metricsToken ? { authorization: `Bearer ${metricsToken}` } : {},
  });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const out: Record<string, number> = {};
  for (const m of (await res.text()).matchAll(
    /^alert_notifications_total\{channel="(\w+)",result="(\w+)"\} (\S+)$/gm,
  )) {
    out[`${m[1]}:${m[2]}`] = Number(m[3]);
  }
  return out;
}
