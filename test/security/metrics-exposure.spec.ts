import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { startApp, TestApp } from '../helpers/app';
import { securityMode } from './support';

const TOKEN = 'metrics-secret-token-42';

/** Route label values of http_requests_total in a scrape. */
function routeLabels(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^http_requests_total\{[^}]*route="((?:[^"\\]|\\.)*)"/gm))
    out.add(m[1]);
  return out;
}

/**
 * OWASP API8/API9 (misconfiguration, inventory): /metrics is closed to anyone without the
 * token however the path is spelled, and no request can grow the metric series (a scanner must
 * not be able to blow up Prometheus or the process's memory).
 */
describe(`/metrics exposure and label cardinality (${securityMode})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(securityMode, { METRICS_TOKEN: TOKEN, THROTTLE_LIMIT: '10000000' });
  });
  afterAll(async () => t?.close());

  const scrape = async () => (await t.http.get('/metrics', TOKEN)).text;

  it('answers 401 without the token under every spelling of the path (GET, HEAD, POST), and preflights leak nothing', async () => {
    const paths = [
      '/metrics',
      '/metrics/',
      '//metrics',
      '///metrics',
      '/METRICS',
      '/Metrics',
      '/%6detrics',
      '/%6Detrics',
      '/%256detrics',
      '/metrics?format=json',
      '/metrics/../metrics',
      '/./metrics',
      '/%2e/metrics',
      '/x/../metrics',
      '/api/v1/../../metrics',
      '/metrics;jsessionid=1',
      '/metrics%2f',
      '/metrics%00',
      '/metrics%20',
      '/metrics.json',
      '/metrics/x',
      '/%2fmetrics',
      '/\\metrics',
    ];
    const bad: string[] = [];
    for (const p of paths) {
      for (const method of ['GET', 'HEAD', 'POST']) {
        const r = await fetch(t.url + p, { method });
        const text = await r.text();
        if (r.status !== 401 || /process_cpu|http_requests_total/.test(text))
          bad.push(`${method} ${p} → ${r.status}`);
      }
      // A CORS preflight is answered by the CORS layer; it must not leak anything either.
      const pre = await fetch(t.url + p, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      });
      const preText = await pre.text();
      if (pre.status < 400 && pre.headers.get('access-control-allow-origin'))
        bad.push(`OPTIONS ${p} allowed ${pre.headers.get('access-control-allow-origin')}`);
      if (/process_cpu|http_requests_total/.test(preText)) bad.push(`OPTIONS ${p} leaked metrics`);
    }
    expect(bad).toEqual([]);
  });

  it('answers 401 for a wrong, empty or misplaced token, and 200 for the right one', async () => {
    const variants: Record<string, string>[] = [
      { authorization: 'Bearer wrong-token-wrong' },
      { authorization: 'Bearer ' },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
      { cookie: `token=${TOKEN}` },
      { 'x-metrics-token': TOKEN },
    ];
    for (const headers of variants) {
      const r = await t.http.get('/metrics', undefined, headers);
      expect({ headers, status: r.status }).toEqual({ headers, status: 401 });
      expect(r.headers.get('www-authenticate')).toContain('Bearer');
      expect(r.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
    }
    expect((await t.http.get(`/metrics?token=${TOKEN}`)).status).toBe(401);
    expect(
      (await t.http.get('/metrics', undefined, { authorization: `bearer ${TOKEN}` })).status,
    ).toBe(200);
    expect((await t.http.get('/metrics', TOKEN)).status).toBe(200);
  });

  /** Plain keep-alive HTTP/1.1 (much lighter than fetch for 10,000 requests). */
  async function blast(paths: string[]): Promise<Map<number, number>> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const statuses = new Map<number, number>();
    const get = (p: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.get(t.url + p, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
      });
    let next = 0;
    const worker = async () => {
      while (next < paths.length) {
        const status = await get(paths[next++]);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    try {
      await Promise.all(Array.from({ length: 16 }, worker));
    } finally {
      agent.destroy();
    }
    return statuses;
  }

  it('10,000 random unmatched paths add at most one route label value', async () => {
    const before = routeLabels(await scrape());
    const rnd = () => Math.random().toString(36).slice(2);
    const paths = Array.from(
      { length: 10_000 },
      (_, i) =>
        [
          `/${rnd()}`,
          `/api/v1/${rnd()}/${rnd()}`,
          `/api/v2/streams/${rnd()}`,
          `/wp-admin/${rnd()}.php?x=${rnd()}`,
        ][i % 4],
    );
    const statuses = await blast(paths);
    expect([...statuses.keys()]).toEqual([404]);
    const after = routeLabels(await scrape());
    const added = [...after].filter((r) => !before.has(r));
    expect(added.length).toBeLessThanOrEqual(1);
    expect([...after].some((r) => r.includes(paths[0].slice(1)))).toBe(false);
    expect((await t.http.get('/health/live')).status).toBe(200);
  }, 120_000);

  it('10,000 random ids on real routes add at most one route label value', async () => {
    const before = routeLabels(await scrape());
    const paths = Array.from({ length: 10_000 }, (_, i) =>
      i % 2 === 0
        ? `/api/v1/streams/${randomUUID()}`
        : `/api/v1/streams/${Math.random().toString(36).slice(2)}`,
    );
    const statuses = await blast(paths);
    expect([...statuses.keys()].sort()).toEqual([400, 404]);
    const after = routeLabels(await scrape());
    const added = [...after].filter((r) => !before.has(r));
    expect(added.length).toBeLessThanOrEqual(1);
    expect(added.every((r) => r === '/api/v1/streams/:id')).toBe(true);
  }, 120_000);
});
