import * as jwt from 'jsonwebtoken';
import { startApp, TestApp } from '../helpers/app';
import { suiteModes, TEST_SECRETS } from '../helpers/modes';

const modes = suiteModes('auth');

describe.each(modes)('auth (%s)', (mode) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(mode, {
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'root-password-1',
      LOGIN_THROTTLE_LIMIT: '4',
    });
  });
  afterAll(async () => t?.close());

  const sign = (
    claims: Record<string, unknown>,
    opts: jwt.SignOptions = {},
    secret = TEST_SECRETS.JWT_SECRET,
  ) =>
    jwt.sign(claims, secret, {
      algorithm: 'HS256',
      issuer: 'onair',
      audience: 'onair-api',
      ...('exp' in claims ? {} : { expiresIn: 600 }),
      ...opts,
    });

  it('registers, logs in and answers /me with the same user', async () => {
    const reg = await t.http.post('/api/v1/auth/register', {
      username: 'Alice_1',
      password: 'password-123',
      displayName: 'Alice',
    });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({
      user: { username: 'Alice_1', displayName: 'Alice', role: 'user' },
      tokenType: 'Bearer',
      expiresIn: 3600,
    });
    expect(reg.body.user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(reg.body.user.createdAt).toISOString()).toBe(reg.body.user.createdAt);
    expect(reg.body.user.passwordHash).toBeUndefined();

    const login = await t.http.post('/api/v1/auth/login', {
      username: 'alice_1',
      password: 'password-123',
    });
    expect(login.status).toBe(200);
    const me = await t.http.get('/api/v1/auth/me', login.body.accessToken);
    expect(me.status).toBe(200);
    expect(me.body).toEqual(reg.body.user);
  });

  it('refuses a taken username case-insensitively with 409', async () => {
    await t.http.user('dup');
    const r1 = await t.http.post('/api/v1/auth/register', {
      username: 'Bob.same',
      password: 'password-123',
    });
    expect(r1.status).toBe(201);
    const r2 = await t.http.post('/api/v1/auth/register', {
      username: 'bob.SAME',
      password: 'password-456',
    });
    expect(r2.status).toBe(409);
    expect(r2.body).toMatchObject({ statusCode: 409, code: 'CONFLICT', error: 'Conflict' });
  });

  it('rejects bad input and unknown properties (role can never be set) with the error shape', async () => {
    const r = await t.http.post('/api/v1/auth/register', {
      username: 'ok_name',
      password: 'password-123',
      role: 'admin',
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect(r.body.message).toContain('property role should not exist');
    expect(r.body.requestId).toBe(r.headers.get('x-request-id'));
    for (const body of [
      { username: 'a', password: 'password-123' },
      { username: 'bad name!', password: 'password-123' },
      { username: 'okname', password: 'short' },
      { username: 'x'.repeat(33), password: 'password-123' },
      {},
      [],
    ]) {
      const res = await t.http.post('/api/v1/auth/register', body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    const bad = await t.http.request('POST', '/api/v1/auth/register', {
      raw: '{"username":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, requestId: expect.any(String) });
    expect(bad.text).not.toMatch(/node_modules|at .*\.js/);
  });

  it('gives the same 401 for an unknown user and a wrong password', async () => {
    const u = await t.http.user('same');
    const a = await t.http.post('/api/v1/auth/login', {
      username: u.username,
      password: 'wrong-password',
    });
    const b = await t.http.post('/api/v1/auth/login', {
      username: 'nobody_' + u.username,
      password: 'wrong-password',
    });
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(a.body.message).toBe(b.body.message);
    expect(a.body.code).toBe('UNAUTHORIZED');
  });

  it('limits login attempts per account with 429 and Retry-After', async () => {
    const u = await t.http.user('brute');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await t.http.post('/api/v1/auth/login', { username: u.username, password: 'wrong-' + i }))
          .status,
      );
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    const last = await t.http.post('/api/v1/auth/login', {
      username: u.username,
      password: u.password,
    });
    expect(last.status).toBe(429);
    expect(last.body.code).toBe('RATE_LIMITED');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('creates the admin from ADMIN_USERNAME/ADMIN_PASSWORD', async () => {
    const r = await t.http.post('/api/v1/auth/login', {
      username: 'root',
      password: 'root-password-1',
    });
    expect(r.status).toBe(200);
    expect(r.body.user.role).toBe('admin');
  });

  it('answers 401 for missing, forged, expired, not-yet-valid and wrong-algorithm tokens', async () => {
    const u = await t.http.user('tok');
    const good = sign({ sub: u.id, role: 'user' });
    expect((await t.http.get('/api/v1/auth/me', good)).status).toBe(200);

    const [h, p] = good.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    const tamperedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'admin' }),
    ).toString('base64url');
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'not-a-token',
      none,
      tampered: `${h}.${tamperedPayload}.${good.split('.')[2]}`,
      hs512: jwt.sign({ sub: u.id, role: 'user' }, TEST_SECRETS.JWT_SECRET, {
        algorithm: 'HS512',
        issuer: 'onair',
        audience: 'onair-api',
        expiresIn: 600,
      }),
      otherSecret: sign({ sub: u.id, role: 'user' }, {}, 'another-secret-another-secret-123'),
      expired: sign({ sub: u.id, role: 'user', exp: Math.floor(Date.now() / 1000) - 120 }),
      notYetValid: sign({ sub: u.id, role: 'user' }, { notBefore: 3600 }),
      wrongIssuer: sign({ sub: u.id, role: 'user' }, { issuer: 'evil' }),
      wrongAudience: sign({ sub: u.id, role: 'user' }, { audience: 'other' }),
      unknownUser: sign({ sub: '00000000-0000-4000-8000-000000000000', role: 'admin' }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const r = await t.http.get('/api/v1/auth/me', token);
      expect({ name, status: r.status, code: r.body?.code }).toEqual({
        name,
        status: 401,
        code: 'UNAUTHORIZED',
      });
    }
    const inQuery = await t.http.get(`/api/v1/auth/me?access_token=${good}`);
    expect(inQuery.status).toBe(401);
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const a = await t.http.get('/health/live', undefined, { 'x-request-id': 'client-id-123' });
    expect(a.headers.get('x-request-id')).toBe('client-id-123');
    const b = await t.http.get('/health/live', undefined, {
      'x-request-id': 'bad id\twith spaces',
    });
    expect(b.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const c = await t.http.get('/api/v1/nope', undefined, { 'x-request-id': 'trace-404' });
    expect(c.status).toBe(404);
    expect(c.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', requestId: 'trace-404' });
  });
});
