import { startApp, TestApp } from '../helpers/app';
import { median, timed } from '../resilience/support';
import { ADMIN, adminToken, securityMode } from './support';

const LIMIT = 4; // per account; per IP it is 3×

/**
 * OWASP API2/API4: password guessing is capped per account and per client IP, spoofed
 * forwarding headers do not reset the count, and every failure looks the same (no user
 * enumeration through status, message, shape or timing).
 */
describe(`login brute force (${securityMode})`, () => {
  let t: TestApp;
  beforeEach(async () => {
    // A fresh app per test: the per-IP counter (all requests come from 127.0.0.1) starts at zero.
    t = await startApp(securityMode, {
      ...ADMIN,
      LOGIN_THROTTLE_LIMIT: String(LIMIT),
      LOGIN_THROTTLE_TTL_SEC: '60',
      THROTTLE_LIMIT: '100000',
    });
  });
  afterEach(async () => t?.close());

  const login = (username: string, password: string, headers: Record<string, string> = {}) =>
    t.http.request('POST', '/api/v1/auth/login', { body: { username, password }, headers });

  it('locks one account after LOGIN_THROTTLE_LIMIT attempts — even the right password — with 429 + Retry-After, other accounts unaffected', async () => {
    const victim = await t.http.user('victim');
    const bystander = await t.http.user('bystander');
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++)
      statuses.push(
        (await login(victim.username, `guess-${i}`, { 'x-forwarded-for': `203.0.113.${i}` }))
          .status,
      );
    expect(statuses).toEqual(Array(LIMIT).fill(401));
    const locked = await login(victim.username, victim.password);
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({
      statusCode: 429,
      code: 'RATE_LIMITED',
      requestId: expect.any(String),
    });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Case games do not open a second counter.
    expect((await login(victim.username.toUpperCase(), victim.password)).status).toBe(429);
    expect((await login(bystander.username, bystander.password)).status).toBe(200);
  });

  it('caps attempts per client IP across many usernames; a random X-Forwarded-For does not help (TRUST_PROXY off)', async () => {
    const real = await t.http.user('realuser');
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT * 3 + 2; i++) {
      statuses.push(
        (
          await login(`nobody${i}`, 'password-123', {
            'x-forwarded-for': `198.51.100.${i}`,
            'x-real-ip': `198.51.100.${i}`,
            forwarded: `for=198.51.100.${i}`,
          })
        ).status,
      );
    }
    expect(statuses.slice(0, LIMIT * 3)).toEqual(Array(LIMIT * 3).fill(401));
    expect(statuses.slice(LIMIT * 3)).toEqual([429, 429]);
    // Even a correct login from that IP waits now.
    expect((await login(real.username, real.password)).status).toBe(429);
  });

  it('answers an unknown user, a wrong password and a disabled account identically (status, body, about the same time)', async () => {
    const known = await t.http.user('known');
    const disabled = await t.http.user('disabled');
    expect(
      (
        await t.http.post(
          `/api/v1/users/${disabled.id}/disable`,
          undefined,
          await adminToken(t.http),
        )
      ).status,
    ).toBe(204);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    const wrong = await timed(() => login(known.username, 'wrong-password'));
    const unknown = await timed(() => login(`ghost_${known.username}`, 'wrong-password'));
    const off = await timed(() => login(disabled.username, disabled.password));
    expect(strip(wrong.value.body)).toEqual(strip(unknown.value.body));
    expect(strip(off.value.body)).toEqual(strip(wrong.value.body));
    expect([wrong.value.status, unknown.value.status, off.value.status]).toEqual([401, 401, 401]);
    expect(Object.keys(Object.fromEntries(wrong.value.headers))).toEqual(
      Object.keys(Object.fromEntries(unknown.value.headers)),
    );
  });

  it('takes about the same time for an unknown user and a wrong password (no timing oracle)', async () => {
    const known = await t.http.user('timing');
    const other = await t.http.user('timing2');
    const a: number[] = [];
    const b: number[] = [];
    // Alternate, and spread over two accounts, to stay under the per-account limit.
    for (let i = 0; i < 3; i++) {
      for (const u of [known, other]) {
        a.push((await timed(() => login(u.username, `wrong-${i}`))).ms);
        b.push((await timed(() => login(`ghost${i}_${u.username}`, 'wrong-password'))).ms);
      }
    }
    const ratio = median(a) / median(b);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
