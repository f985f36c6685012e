import { startApp, TestApp } from '../helpers/app';
import {
  ADMIN,
  adminToken,
  connectChat,
  disconnectedWithin,
  forgedTokens,
  securityMode,
} from './support';

/**
 * OWASP API2 (broken authentication): every malformed, forged or stale token is a 401 on REST
 * and a refused socket handshake; revoking an account (disable/delete) works at once, for open
 * sockets too.
 */
describe(`JWT abuse (${securityMode})`, () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startApp(securityMode, { ...ADMIN, THROTTLE_LIMIT: '100000' });
    admin = await adminToken(t.http);
  });
  afterAll(async () => t?.close());

  // Authenticated routes of different kinds: self, create, admin-only.
  const probes = (victimId: string) => [
    { method: 'GET', path: '/api/v1/auth/me' },
    { method: 'POST', path: '/api/v1/streams', body: { title: 'forged' } },
    { method: 'POST', path: '/api/v1/rooms', body: { name: 'forged' } },
    { method: 'POST', path: `/api/v1/users/${victimId}/disable` },
  ];

  it('answers 401 (never 403/200/500) for every forged, expired or malformed token on REST', async () => {
    const u = await t.http.user('jwtrest');
    const victim = await t.http.user('victim');
    expect((await t.http.get('/api/v1/auth/me', u.token)).status).toBe(200);
    // A header beyond Node's limit never reaches the app: a plain 431.
    expect((await t.http.get('/api/v1/auth/me', 'a'.repeat(20000))).status).toBe(431);
    const seen: string[] = [];
    for (const [name, token] of Object.entries(forgedTokens(u.id, u.token))) {
      for (const p of probes(victim.id)) {
        const r = await t.http.request(p.method, p.path, { token, body: p.body });
        seen.push(`${name} ${p.method} ${p.path} → ${r.status} ${r.body?.code}`);
      }
    }
    expect(seen.filter((line) => !line.endsWith('→ 401 UNAUTHORIZED'))).toEqual([]);
    // Nothing was created or changed by any of them.
    expect((await t.http.get(`/api/v1/streams?ownerId=${u.id}`)).body.items).toEqual([]);
    expect((await t.http.get('/api/v1/auth/me', victim.token)).status).toBe(200);
  });

  it('never reads a token from the query string, a cookie or a non-Bearer scheme', async () => {
    const u = await t.http.user('jwtquery');
    for (const path of [
      `/api/v1/auth/me?access_token=${u.token}`,
      `/api/v1/auth/me?token=${u.token}`,
      `/api/v1/auth/me?auth_token=${u.token}`,
    ]) {
      expect((await t.http.get(path)).status).toBe(401);
    }
    expect(
      (
        await t.http.get('/api/v1/auth/me', undefined, {
          cookie: `token=${u.token}; access_token=${u.token}`,
        })
      ).status,
    ).toBe(401);
    expect(
      (await t.http.get('/api/v1/auth/me', undefined, { authorization: `Token ${u.token}` }))
        .status,
    ).toBe(401);
    expect(
      (await t.http.get('/api/v1/auth/me', undefined, { authorization: `Basic ${u.token}` }))
        .status,
    ).toBe(401);
  });

  it('refuses the socket handshake for every forged, expired or malformed token', async () => {
    const u = await t.http.user('jwtsock');
    const ok = await connectChat(t.url, { auth: { token: u.token } });
    expect(ok.connected).toBe(true);
    ok.socket.close();
    const outcomes: string[] = [];
    for (const [name, token] of Object.entries(forgedTokens(u.id, u.token))) {
      if (token === '') continue; // an empty token is "no token" = anonymous viewer, by contract
      const r = await connectChat(t.url, { auth: { token } });
      outcomes.push(`${name}: ${r.connected ? 'connected' : r.error?.message}`);
      r.socket.close();
    }
    expect(outcomes.filter((o) => !o.endsWith(': unauthorized'))).toEqual([]);
    for (const bad of [{ token: 12345 }, { token: { sub: u.id } }, { token: ['a'] }]) {
      const r = await connectChat(t.url, { auth: bad });
      expect(r.error?.message).toBe('unauthorized');
      r.socket.close();
    }
  });

  it('refuses a socket that carries its token in the query string (it would end up in access logs)', async () => {
    const u = await t.http.user('jwtsockq');
    for (const query of [{ token: u.token }, { access_token: u.token }]) {
      const r = await connectChat(t.url, { query });
      expect({
        query: Object.keys(query)[0],
        connected: r.connected,
        error: r.error?.message,
      }).toEqual({ query: Object.keys(query)[0], connected: false, error: 'unauthorized' });
      r.socket.close();
    }
  });

  describe('revocation', () => {
    it('a disabled account stops working at once: REST 401, open socket closed, reconnect refused; enabling restores it', async () => {
      const u = await t.http.user('revoke');
      const s = await connectChat(t.url, { auth: { token: u.token } });
      expect(s.connected).toBe(true);
      const gone = disconnectedWithin(s.socket, 3000);
      expect((await t.http.post(`/api/v1/users/${u.id}/disable`, undefined, admin)).status).toBe(
        204,
      );
      expect((await t.http.get('/api/v1/auth/me', u.token)).status).toBe(401);
      expect(await gone).toBe('io server disconnect');
      const again = await connectChat(t.url, { auth: { token: u.token } });
      expect(again.error?.message).toBe('unauthorized');
      again.socket.close();
      const login = await t.http.post('/api/v1/auth/login', {
        username: u.username,
        password: u.password,
      });
      expect(login.status).toBe(401);

      expect((await t.http.post(`/api/v1/users/${u.id}/enable`, undefined, admin)).status).toBe(
        204,
      );
      expect((await t.http.get('/api/v1/auth/me', u.token)).status).toBe(200);
    });

    it('a deleted account stops working at once: REST 401 and open socket closed', async () => {
      const u = await t.http.user('deleted');
      const s = await connectChat(t.url, { auth: { token: u.token } });
      expect(s.connected).toBe(true);
      const gone = disconnectedWithin(s.socket, 3000);
      expect((await t.http.delete(`/api/v1/users/${u.id}`, admin)).status).toBe(204);
      expect((await t.http.get('/api/v1/auth/me', u.token)).status).toBe(401);
      expect(await gone).toBe('io server disconnect');
      expect((await t.http.delete(`/api/v1/users/${u.id}`, admin)).status).toBe(404);
    });

    it('account administration is admin-only (BFLA): users get 403, anonymous 401, nothing changes', async () => {
      const attacker = await t.http.user('bfla');
      const victim = await t.http.user('bflavictim');
      for (const [method, path] of [
        ['POST', `/api/v1/users/${victim.id}/disable`],
        ['POST', `/api/v1/users/${victim.id}/enable`],
        ['DELETE', `/api/v1/users/${victim.id}`],
      ] as const) {
        expect((await t.http.request(method, path, { token: attacker.token })).body).toMatchObject({
          statusCode: 403,
          code: 'FORBIDDEN',
        });
        expect((await t.http.request(method, path)).status).toBe(401);
      }
      expect((await t.http.get('/api/v1/auth/me', victim.token)).status).toBe(200);
      const me = (await t.http.get('/api/v1/auth/me', admin)).body;
      expect((await t.http.post(`/api/v1/users/${me.id}/disable`, undefined, admin)).status).toBe(
        409,
      );
      expect(
        (await t.http.post('/api/v1/users/not-a-uuid/disable', undefined, admin)).body.code,
      ).toBe('VALIDATION_FAILED');
      expect(
        (
          await t.http.post(
            '/api/v1/users/00000000-0000-4000-8000-000000000000/disable',
            undefined,
            admin,
          )
        ).status,
      ).toBe(404);
    });
  });
});
