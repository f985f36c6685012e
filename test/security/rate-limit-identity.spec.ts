import { startApp, TestApp } from '../helpers/app';
import { modeEnv } from '../helpers/modes';
import { describeWithServices } from '../helpers/services';
import { securityMode, startWithEnv } from './support';

const LIMIT = 8;

/**
 * OWASP API4 (unrestricted resource consumption): the client identity behind the HTTP limit
 * cannot be chosen by the client, and replicas share one budget through Redis.
 */
describe(`rate-limit identity (${securityMode})`, () => {
  const spoofHeaders = (i: number) => ({
    'x-forwarded-for': `10.${i}.${i}.${i}, 192.0.2.${i}`,
    'x-real-ip': `10.9.9.${i}`,
    forwarded: `for=10.8.8.${i}`,
    'true-client-ip': `10.7.7.${i}`,
    'cf-connecting-ip': `10.6.6.${i}`,
  });

  async function statuses(
    t: { http: TestApp['http'] },
    n: number,
    headers: (i: number) => Record<string, string>,
  ): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++)
      out.push((await t.http.get('/api/v1/streams', undefined, headers(i))).status);
    return out;
  }

  it('with TRUST_PROXY off, random forwarding headers are ignored: the limit still applies', async () => {
    const t = await startApp(securityMode, {
      THROTTLE_LIMIT: String(LIMIT),
      THROTTLE_TTL_SEC: '60',
    });
    try {
      const s = await statuses(t, LIMIT + 3, spoofHeaders);
      expect(s.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(200));
      expect(s.slice(LIMIT)).toEqual([429, 429, 429]);
    } finally {
      await t.close();
    }
  });

  it('with TRUST_PROXY on, X-Forwarded-For from the trusted proxy does identify clients (control: the header is what matters)', async () => {
    const t = await startApp(securityMode, {
      THROTTLE_LIMIT: String(LIMIT),
      THROTTLE_TTL_SEC: '60',
      TRUST_PROXY: 'true',
    });
    try {
      const s = await statuses(t, LIMIT + 3, (i) => ({ 'x-forwarded-for': `10.1.1.${i}` }));
      expect(s).toEqual(Array(LIMIT + 3).fill(200));
      const same = await statuses(t, LIMIT + 1, () => ({ 'x-forwarded-for': '10.2.2.2' }));
      expect(same[LIMIT]).toBe(429);
    } finally {
      await t.close();
    }
  });
});

describeWithServices('rate-limit identity across replicas', () => {
  it('two instances share one limit through Redis (global throttle and login)', async () => {
    const m = await modeEnv('clustered', {
      THROTTLE_LIMIT: String(LIMIT),
      THROTTLE_TTL_SEC: '60',
      LOGIN_THROTTLE_LIMIT: '4',
    });
    const a = await startWithEnv(m.env);
    const b = await startWithEnv(m.env);
    try {
      const s: number[] = [];
      for (let i = 0; i < LIMIT + 2; i++)
        s.push((await (i % 2 ? b : a).http.get('/api/v1/streams')).status);
      expect(s.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(200));
      expect(s.slice(LIMIT)).toEqual([429, 429]);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await m.cleanup();
    }
  });

  it('login attempts on one account count on every instance', async () => {
    const m = await modeEnv('clustered', { LOGIN_THROTTLE_LIMIT: '4', THROTTLE_LIMIT: '100000' });
    const a = await startWithEnv(m.env);
    const b = await startWithEnv(m.env);
    try {
      const u = await a.http.user('shared');
      const s: number[] = [];
      for (let i = 0; i < 5; i++)
        s.push(
          (
            await (i % 2 ? b : a).http.post('/api/v1/auth/login', {
              username: u.username,
              password: `wrong-${i}`,
            })
          ).status,
        );
      expect(s).toEqual([401, 401, 401, 401, 429]);
      expect(
        (await b.http.post('/api/v1/auth/login', { username: u.username, password: u.password }))
          .status,
      ).toBe(429);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await m.cleanup();
    }
  });
});
