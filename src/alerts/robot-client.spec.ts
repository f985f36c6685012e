import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeliveryError, dingTalkSign, RobotClient, signedDingTalkUrl } from './robot-client';

describe('DingTalk signature', () => {
  it('is base64 HMAC-SHA256 of "<timestamp>\\n<secret>" keyed by the secret, URL-encoded next to access_token', () => {
    const secret = 'SEC000000000000000000000000000000000000000000000000000000000000000';
    const ts = 1714564800000;
    const expected = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
    expect(dingTalkSign(secret, ts)).toBe(expected);
    const url = signedDingTalkUrl(
      'https://oapi.dingtalk.com/robot/send?access_token=abc',
      secret,
      ts,
    );
    expect(url).toBe(
      `https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=${ts}&sign=${encodeURIComponent(expected)}`,
    );
  });
});

describe('RobotClient', () => {
  let server: http.Server;
  let base = '';
  const answers: Array<{ status: number; body: string; delayMs?: number }> = [];
  let hits = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        hits++;
        const a = answers.shift() ?? { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
        setTimeout(
          () => res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body),
          a.delayMs ?? 0,
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    answers.length = 0;
    hits = 0;
  });

  const client = new RobotClient({ timeoutMs: 300, attempts: 3, backoffMs: 10, maxQueued: 10 });
  const never = new AbortController().signal;
  const payload = { msgtype: 'markdown' as const, markdown: { content: 'x' } };

  it('treats errcode 0 as delivered and other errcodes as failures', async () => {
    await expect(client.send('wecom', `${base}/w`, payload, undefined, never)).resolves.toEqual({
      attempts: 1,
    });
    answers.push({ status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' });
    await expect(client.send('dingtalk', `${base}/d`, payload, 's', never)).rejects.toThrow(
      new DeliveryError('errcode 310000: sign not match', false),
    );
    expect(hits).toBe(2);
  });

  it('retries 5xx, timeouts and "busy" errcodes, up to the attempt limit', async () => {
    answers.push(
      { status: 502, body: '' },
      { status: 200, body: '{}', delayMs: 1000 },
      { status: 200, body: '{"errcode":0}' },
    );
    await expect(client.send('wecom', `${base}/w`, payload, undefined, never)).resolves.toEqual({
      attempts: 3,
    });
    answers.push(
      { status: 200, body: '{"errcode":-1,"errmsg":"system busy"}' },
      { status: 500, body: '' },
      { status: 500, body: '' },
    );
    await expect(client.send('wecom', `${base}/w`, payload, undefined, never)).rejects.toThrow(
      'HTTP 500',
    );
    expect(hits).toBe(6);
  });

  it('does not retry a 4xx, and accepts any 2xx from a Slack-compatible webhook', async () => {
    answers.push({ status: 404, body: 'no_service' });
    await expect(
      client.send('slack', `${base}/s`, { text: 'x' }, undefined, never),
    ).rejects.toThrow('HTTP 404');
    answers.push({ status: 200, body: 'ok' });
    await expect(
      client.send('slack', `${base}/s`, { text: 'x' }, undefined, never),
    ).resolves.toEqual({ attempts: 1 });
    expect(hits).toBe(2);
  });

  it('reports a refused connection without the URL (which carries the access token)', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = (await client
      .send(
        'dingtalk',
        `http://127.0.0.1:${port}/robot/send?access_token=SECRET`,
        payload,
        undefined,
        never,
      )
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('network error (ECONNREFUSED)');
  });
});
