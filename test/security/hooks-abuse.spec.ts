import { createHmac } from 'node:crypto';
import { modeEnv, ModeEnv, TEST_SECRETS } from '../helpers/modes';
import { METRICS_TOKEN, metricValue } from '../resilience/support';
import { securityMode, startWithEnv } from './support';

type Dialect = 'nginx-rtmp' | 'srs' | 'mediamtx';
const DIALECTS: Dialect[] = ['nginx-rtmp', 'srs', 'mediamtx'];
type Verdict = 'allow' | 'deny' | `refused ${number}`;

/**
 * OWASP API2/API8 on the media-server hooks: a wrong secret, a wrong/rotated key, a forged or
 * replayed play signature, SQL-ish or huge names and missing fields are all refused, change
 * nothing, never 500 — and neither the hook secret nor a key or signature reaches the logs.
 */
describe(`media-server hook abuse (${securityMode})`, () => {
  let m: ModeEnv;
  let app: Awaited<ReturnType<typeof startWithEnv>>;
  let owner: { token: string; id: string };
  const secrets: string[] = [
    TEST_SECRETS.HOOK_SECRET,
    TEST_SECRETS.PLAY_URL_SECRET,
    TEST_SECRETS.JWT_SECRET,
  ];

  beforeAll(async () => {
    m = await modeEnv(securityMode, {
      THROTTLE_LIMIT: '100000',
      MAX_STREAMS_PER_USER: '1000',
      LOG_LEVEL: 'debug',
      METRICS_TOKEN,
    });
    app = await startWithEnv(m.env);
    owner = await app.http.user('hookowner');
  });
  afterAll(async () => {
    await app?.close();
    await m?.cleanup();
  });

  async function newStream(): Promise<{
    id: string;
    key: string;
    play: { sid: string; exp: string; sig: string };
  }> {
    const r = await app.http.post('/api/v1/streams', { title: 'hooked' }, owner.token);
    expect(r.status).toBe(201);
    secrets.push(r.body.streamKey);
    // A viewer's own playback session (the public view carries no play URLs since 0.2).
    const p = await app.http.post(`/api/v1/streams/${r.body.id}/playback`);
    expect(p.status).toBe(201);
    const hls = new URL(p.body.hls);
    return {
      id: r.body.id,
      key: r.body.streamKey,
      play: {
        sid: hls.searchParams.get('sid')!,
        exp: hls.searchParams.get('exp')!,
        sig: hls.searchParams.get('sig')!,
      },
    };
  }

  const status = async (id: string) =>
    (await app.http.get(`/api/v1/streams/${id}`)).body.status as string;

  /** Calls a hook the way that media server does; maps its answer to allow/deny. */
  async function hook(
    dialect: Dialect,
    fields: Record<string, string>,
    query = `secret=${TEST_SECRETS.HOOK_SECRET}`,
  ): Promise<Verdict> {
    const path = `/api/v1/hooks/${dialect}${query ? `?${query}` : ''}`;
    if (dialect === 'nginx-rtmp') {
      const r = await app.http.request('POST', path, {
        raw: new URLSearchParams(fields).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      return r.status >= 200 && r.status < 300
        ? 'allow'
        : r.status === 403
          ? 'deny'
          : `refused ${r.status}`;
    }
    const r = await app.http.request('POST', path, { body: fields });
    if (dialect === 'srs')
      return r.status === 200
        ? r.body?.code === 0
          ? 'allow'
          : 'deny'
        : r.status === 403
          ? 'deny'
          : `refused ${r.status}`;
    return r.status === 200
      ? 'allow'
      : r.status === 401 || r.status === 403
        ? 'deny'
        : `refused ${r.status}`;
  }

  /** The fields of a publish (or play) call in each dialect's own vocabulary. */
  function publishFields(dialect: Dialect, name: string, key?: string): Record<string, string> {
    if (dialect === 'nginx-rtmp')
      return {
        call: 'publish',
        app: 'live',
        name,
        addr: '127.0.0.1',
        clientid: '7',
        tcurl: 'rtmp://127.0.0.1/live',
        ...(key !== undefined ? { key } : {}),
      };
    if (dialect === 'srs')
      return {
        action: 'on_publish',
        client_id: 'c7',
        ip: '127.0.0.1',
        vhost: '__defaultVhost__',
        app: 'live',
        stream: name,
        param: key !== undefined ? `?key=${encodeURIComponent(key)}` : '',
      };
    return {
      action: 'publish',
      path: name,
      query: key !== undefined ? `key=${encodeURIComponent(key)}` : '',
      ip: '127.0.0.1',
      protocol: 'rtmp',
      id: 'm7',
      user: '',
      password: '',
      token: '',
    };
  }
  function playFields(
    dialect: Dialect,
    name: string,
    exp?: string,
    sig?: string,
    sid?: string,
  ): Record<string, string> {
    const q = new URLSearchParams({
      ...(sid !== undefined ? { sid } : {}),
      ...(exp !== undefined ? { exp } : {}),
      ...(sig !== undefined ? { sig } : {}),
    }).toString();
    if (dialect === 'nginx-rtmp')
      return {
        call: 'play',
        app: 'live',
        name,
        addr: '127.0.0.1',
        clientid: '8',
        ...(sid !== undefined ? { sid } : {}),
        ...(exp !== undefined ? { exp } : {}),
        ...(sig !== undefined ? { sig } : {}),
      };
    if (dialect === 'srs')
      return {
        action: 'on_play',
        client_id: 'c8',
        ip: '127.0.0.1',
        vhost: '__defaultVhost__',
        app: 'live',
        stream: name,
        param: q ? `?${q}` : '',
      };
    return {
      action: 'read',
      path: name,
      query: q,
      ip: '127.0.0.1',
      protocol: 'rtmp',
      id: 'm8',
      user: '',
      password: '',
      token: '',
    };
  }

  it.each(DIALECTS)(
    '%s: a wrong, missing, repeated or misplaced secret is 403 and changes nothing',
    async (dialect) => {
      const s = await newStream();
      const good = publishFields(dialect, s.id, s.key);
      const variants = [
        '',
        'secret=',
        'secret=wrong',
        `secret=${TEST_SECRETS.HOOK_SECRET.toUpperCase()}`,
        `secret=${TEST_SECRETS.HOOK_SECRET}x`,
        `secret=${TEST_SECRETS.HOOK_SECRET.slice(0, -1)}`,
        `secret=${TEST_SECRETS.HOOK_SECRET}&secret=${TEST_SECRETS.HOOK_SECRET}`,
        `SECRET=${TEST_SECRETS.HOOK_SECRET}`,
        `secret[]=${TEST_SECRETS.HOOK_SECRET}`,
      ];
      for (const q of variants) {
        const path = `/api/v1/hooks/${dialect}${q ? `?${q}` : ''}`;
        const r =
          dialect === 'nginx-rtmp'
            ? await app.http.request('POST', path, {
                raw: new URLSearchParams({ ...good, secret: TEST_SECRETS.HOOK_SECRET }).toString(),
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
              })
            : await app.http.request('POST', path, {
                body: { ...good, secret: TEST_SECRETS.HOOK_SECRET },
              });
        expect({ q, status: r.status }).toEqual({ q, status: 403 });
      }
      const viaHeader = await app.http.request('POST', `/api/v1/hooks/${dialect}`, {
        body: good,
        headers: {
          'x-hook-secret': TEST_SECRETS.HOOK_SECRET,
          authorization: `Bearer ${TEST_SECRETS.HOOK_SECRET}`,
        },
      });
      expect(viaHeader.status).toBe(403);
      expect(await status(s.id)).toBe('idle');
    },
  );

  it.each(DIALECTS)(
    '%s: publish is refused for a wrong, rotated, borrowed or missing key and for names that are not stream ids',
    async (dialect) => {
      const s = await newStream();
      const other = await newStream();
      const rotatedFrom = await newStream();
      const rotated = await app.http.post(
        `/api/v1/streams/${rotatedFrom.id}/key`,
        undefined,
        owner.token,
      );
      secrets.push(rotated.body.streamKey);
      const attempts: [string, Record<string, string>][] = [
        ['wrong key', publishFields(dialect, s.id, 'wrong-key-wrong-key-wrong-key-wrong')],
        ['empty key', publishFields(dialect, s.id, '')],
        ['no key', publishFields(dialect, s.id)],
        ["another stream's key", publishFields(dialect, s.id, other.key)],
        ['rotated (old) key', publishFields(dialect, rotatedFrom.id, rotatedFrom.key)],
        ['key with SQL', publishFields(dialect, s.id, "' OR '1'='1")],
        ['huge key', publishFields(dialect, s.id, 'k'.repeat(50_000))],
        ['SQL-ish name', publishFields(dialect, "x' OR 1=1; DROP TABLE streams; --", s.key)],
        ['name with the id and junk', publishFields(dialect, `${s.id}' --`, s.key)],
        ['huge name', publishFields(dialect, 'n'.repeat(50_000), s.key)],
        ['unicode name', publishFields(dialect, 'ストリーム\u0000\u202e', s.key)],
        ['path traversal name', publishFields(dialect, `../${s.id}`, s.key)],
        ['empty name', publishFields(dialect, '', s.key)],
      ];
      const verdicts = [];
      for (const [what, fields] of attempts)
        verdicts.push(`${what}: ${await hook(dialect, fields)}`);
      expect(verdicts.filter((v) => v.endsWith(': allow') || / refused 5\d\d$/.test(v))).toEqual(
        [],
      );
      expect(await status(s.id)).toBe('idle');
      expect(await status(rotatedFrom.id)).toBe('idle');
      // Control: the right key does go live (the refusals above were about the key, not a broken hook).
      expect(await hook(dialect, publishFields(dialect, s.id, s.key))).toBe('allow');
      expect(await status(s.id)).toBe('live');
    },
  );

  it.each(DIALECTS)(
    '%s: malformed calls (missing/repeated/wrong-typed fields, unknown actions) are refused, never a 500',
    async (dialect) => {
      const s = await newStream();
      const bodies: Record<string, unknown>[] =
        dialect === 'nginx-rtmp'
          ? [{}, { call: 'publish' }, { call: 'nope', name: s.id }, { name: s.id, key: s.key }]
          : dialect === 'srs'
            ? [
                {},
                { action: 'on_publish' },
                { action: 'nope', stream: s.id },
                { action: 'on_publish', stream: [s.id], param: `?key=${s.key}` },
                { action: 'on_publish', stream: s.id, param: `?key=a&key=${s.key}` },
                { action: { $ne: 1 }, stream: s.id },
                {
                  action: 'on_publish',
                  stream: s.id,
                  client_id: 'c'.repeat(1000),
                  param: `?key=${s.key}`,
                },
              ]
            : [
                {},
                { action: 'publish' },
                { action: 'api', path: s.id },
                { action: 'publish', path: s.id, query: `key=a&key=${s.key}` },
                { action: 'publish', path: { x: 1 }, query: `key=${s.key}` },
                { action: 'playback', path: s.id },
              ];
      for (const body of bodies) {
        const path = `/api/v1/hooks/${dialect}?secret=${TEST_SECRETS.HOOK_SECRET}`;
        const r =
          dialect === 'nginx-rtmp'
            ? await app.http.request('POST', path, {
                raw: new URLSearchParams(body as Record<string, string>).toString(),
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
              })
            : await app.http.request('POST', path, { body });
        const allowed = r.status === 200 && (dialect !== 'srs' || r.body?.code === 0);
        expect({ body, allowed, serverError: r.status >= 500 }).toEqual({
          body,
          allowed: false,
          serverError: false,
        });
      }
      expect(await status(s.id)).toBe('idle');
    },
  );

  it('refuses a second name smuggled through the nginx-rtmp client query', async () => {
    // nginx-rtmp appends the client's query, so a client can repeat `name` after its own.
    const s = await newStream();
    const smuggled = `call=publish&app=live&name=${s.id}&clientid=1&key=${s.key}&name=${s.id}`;
    const r = await app.http.request(
      'POST',
      `/api/v1/hooks/nginx-rtmp?secret=${TEST_SECRETS.HOOK_SECRET}`,
      { raw: smuggled, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    );
    expect(r.status).not.toBe(200);
    expect(await status(s.id)).toBe('idle');
  });

  it.each(DIALECTS)(
    '%s: play needs a genuine, unexpired session for that live stream (forged, tampered, replayed elsewhere, 0.1 form → refused)',
    async (dialect) => {
      const s = await newStream();
      const other = await newStream();
      const viewers = async () =>
        (await app.http.get(`/api/v1/streams/${s.id}`)).body.viewers as number;
      /** `sid` null: the query carries no session id at all. */
      const play = (exp?: string, sig?: string, sid: string | null = s.play.sid) =>
        playFields(dialect, s.id, exp, sig, sid ?? undefined);
      // Not live yet: even a genuine session is refused.
      expect(await hook(dialect, play(s.play.exp, s.play.sig))).toBe('deny');
      expect(await hook(dialect, publishFields(dialect, s.id, s.key))).toBe('allow');
      const sign = (id: string, exp: number, secret = TEST_SECRETS.PLAY_URL_SECRET) =>
        createHmac('sha256', secret).update(`${id}:${s.play.sid}:${exp}`).digest('base64url');
      const signV1 = (id: string, exp: number) =>
        createHmac('sha256', TEST_SECRETS.PLAY_URL_SECRET)
          .update(`${id}:${exp}`)
          .digest('base64url');
      const past = Math.floor(Date.now() / 1000) - 10;
      const future = Math.floor(Date.now() / 1000) + 600;
      const forged: [string, string | undefined, string | undefined, string?][] = [
        ['no signature', undefined, undefined],
        ['exp without sig', s.play.exp, undefined],
        ['no session id', s.play.exp, s.play.sig, ''],
        ['0.1 form (no session)', String(future), signV1(s.id, future), ''],
        ['0.1 form with a session id', String(future), signV1(s.id, future)],
        ["another session's id", s.play.exp, s.play.sig, other.play.sid],
        [
          "another stream's session (replayed elsewhere)",
          other.play.exp,
          other.play.sig,
          other.play.sid,
        ],
        ['exp moved forward, same sig', String(Number(s.play.exp) + 3600), s.play.sig],
        ['expired but genuinely signed', String(past), sign(s.id, past)],
        [
          'signed with another secret',
          String(future),
          sign(s.id, future, 'not-the-play-secret-0123456789'),
        ],
        [
          'sig as hex instead of base64url',
          String(future),
          createHmac('sha256', TEST_SECRETS.PLAY_URL_SECRET)
            .update(`${s.id}:${s.play.sid}:${future}`)
            .digest('hex'),
        ],
        ['truncated sig', s.play.exp, s.play.sig.slice(0, 20)],
        ['exp not a number', 'tomorrow', s.play.sig],
        ['exp overflowing', '9'.repeat(400), s.play.sig],
        ['huge sig', s.play.exp, 's'.repeat(50_000)],
      ];
      const results = [];
      for (const [what, exp, sig, sid] of forged)
        results.push(
          `${what}: ${await hook(dialect, play(exp, sig, sid === '' ? null : (sid ?? s.play.sid)))}`,
        );
      expect(results.filter((r) => !r.endsWith(': deny') && !/: refused 4\d\d$/.test(r))).toEqual(
        [],
      );
      expect(await viewers()).toBe(0);
      // Control: the genuine session plays.
      expect(await hook(dialect, play(s.play.exp, s.play.sig))).toBe('allow');
      // Once the stream has ended the same genuine URL is refused (no replay after the show).
      expect((await app.http.delete(`/api/v1/streams/${s.id}`, owner.token)).status).toBe(204);
      expect(await hook(dialect, play(s.play.exp, s.play.sig))).toBe('deny');
    },
  );

  it('counted the refusals, and never wrote the hook secret, a stream key or a play signature into the logs', async () => {
    const text = (await app.http.get('/metrics', METRICS_TOKEN)).text;
    expect(
      metricValue(text, 'stream_publish_attempts_total', { result: 'rejected' }),
    ).toBeGreaterThan(10);
    const logs = app.logs().join('\n');
    expect(logs.length).toBeGreaterThan(0);
    const leaked = secrets.filter((s) => s && logs.includes(s));
    expect(leaked.map((s) => `${s.slice(0, 6)}…`)).toEqual([]);
    expect(logs).not.toMatch(/[?&](secret|key|sig)=[^&"\s]{6,}/);
    expect((await app.http.get('/health/ready')).status).toBe(200);
  });
});
