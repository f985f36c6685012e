import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { createValidationPipe } from '../../src/bootstrap';
import { validatePayload } from '../../src/chat/ws-validation';
import {
  DeleteMessagePayload,
  JoinRoomPayload,
  RoomPayload,
  SendMessagePayload,
} from '../../src/chat/chat.dto';
import { AlertmanagerWebhookDto } from '../../src/alerts/alertmanager-webhook.dto';
import { LoginDto, RegisterDto } from '../../src/auth/auth.dto';
import { DomainError } from '../../src/common/errors';
import { PageQueryDto } from '../../src/common/pagination';
import { parseMediaMtx, parseNginxRtmp, parseSrs } from '../../src/hooks/hook-calls';
import {
  BanUserDto,
  CreateRoomDto,
  HeartbeatDto,
  ListRoomsQueryDto,
  UpdateRoomDto,
} from '../../src/rooms/rooms.dto';
import { CreateStreamDto } from '../../src/streams/dto/create-stream.dto';
import { ListStreamsQueryDto } from '../../src/streams/dto/list-streams.query';
import { UpdateStreamDto } from '../../src/streams/dto/update-stream.dto';
import { UpdateProgressDto } from '../../src/videos/dto/progress.dto';
import { ListVideosQueryDto } from '../../src/videos/dto/video.dto';
import { modeEnv, ModeEnv, TEST_SECRETS } from '../helpers/modes';
import { AppProcess, spawnApp } from '../helpers/process';
import { ADMIN, adminToken } from './support';

/** JSON-ish values with the shapes attackers like: prototype keys, huge numbers, odd strings, nesting. */
const nasty = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '__proto__',
      'constructor',
      "' OR 1=1 --",
      '../../etc/passwd',
      'NaN',
      '-0',
      '1e309',
      '9'.repeat(40),
      randomUUID(),
      'live',
      'idle',
      'admin',
    ),
    fc.integer(),
    fc.double(),
    fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1, 0, 1e308, -1e308),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom(
          '__proto__',
          'constructor',
          'prototype',
          'title',
          'name',
          'roomId',
          'text',
          'role',
          'ownerId',
          'limit',
          'cursor',
          'status',
          'action',
          'call',
          'stream',
          'param',
          'key',
        ),
      ),
      tie('value'),
      { maxKeys: 6 },
    ),
  ),
})).value;

/**
 * What can arrive over the wire: HTTP bodies and Socket.IO payloads are JSON.parse'd, so values
 * are plain JSON (no null-prototype objects, no undefined, no NaN) — round-trip to get exactly that.
 */
const wire = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  arb.map((v) => (v === undefined ? null : (JSON.parse(JSON.stringify(v)) as unknown)));

/** Objects that look like the real bodies (known keys with nasty values, plus extras). */
const bodyFor = (keys: string[]) =>
  wire(
    fc.oneof(
      nasty,
      fc.record(Object.fromEntries(keys.map((k) => [k, nasty])), { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom(...keys, 'extra', '__proto__'), nasty),
    ),
  );

const DTOS: [string, new () => object, 'body' | 'query', string[]][] = [
  ['RegisterDto', RegisterDto, 'body', ['username', 'password', 'displayName']],
  ['LoginDto', LoginDto, 'body', ['username', 'password']],
  ['CreateStreamDto', CreateStreamDto, 'body', ['title', 'roomId']],
  ['UpdateStreamDto', UpdateStreamDto, 'body', ['title', 'roomId']],
  ['ListStreamsQueryDto', ListStreamsQueryDto, 'query', ['status', 'ownerId', 'limit', 'cursor']],
  ['CreateRoomDto', CreateRoomDto, 'body', ['name', 'description']],
  ['UpdateRoomDto', UpdateRoomDto, 'body', ['name', 'description']],
  ['ListRoomsQueryDto', ListRoomsQueryDto, 'query', ['status', 'limit', 'cursor']],
  ['BanUserDto', BanUserDto, 'body', ['userId', 'durationSec']],
  ['HeartbeatDto', HeartbeatDto, 'body', ['viewerId']],
  ['UpdateProgressDto', UpdateProgressDto, 'body', ['positionSec', 'paused']],
  ['ListVideosQueryDto', ListVideosQueryDto, 'query', ['limit', 'cursor']],
  ['PageQueryDto', PageQueryDto, 'query', ['limit', 'cursor']],
  [
    'AlertmanagerWebhookDto',
    AlertmanagerWebhookDto,
    'body',
    [
      'version',
      'status',
      'receiver',
      'alerts',
      'groupLabels',
      'commonLabels',
      'commonAnnotations',
      'externalURL',
      'groupKey',
      'truncatedAlerts',
    ],
  ],
];

/** Only a DomainError (→ 4xx in the contract shape) may come out of validation/parsing. */
function onlyDomainErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
  }
}

/**
 * Property tests: whatever a client or a media server sends, the DTO rules, the hook parsers and
 * the socket payload validation answer with a value or a domain error (a 4xx) — never a crash —
 * and a running app never answers 500 or leaves a promise rejection unhandled.
 */
describe('fuzzing the input edges', () => {
  describe('pure parsers and validators', () => {
    const pipe = createValidationPipe();

    it.each(DTOS)(
      '%s: the global ValidationPipe returns a value or a VALIDATION_FAILED error',
      async (_name, cls, type) => {
        await fc.assert(
          fc.asyncProperty(bodyFor(DTOS.find((d) => d[1] === cls)![3]), async (input) => {
            const outcome = await pipe.transform(input, { type, metatype: cls }).then(
              () => 'a value',
              (err: unknown) => (err instanceof DomainError ? err.code : err),
            );
            expect(['a value', 'VALIDATION_FAILED']).toContain(outcome);
          }),
          { numRuns: 300 },
        );
      },
    );

    it.each([
      [
        'nginx-rtmp',
        parseNginxRtmp,
        ['call', 'name', 'key', 'clientid', 'sid', 'exp', 'sig', 'app', 'addr'],
      ],
      ['srs', parseSrs, ['action', 'stream', 'param', 'client_id', 'ip', 'app', 'vhost']],
      ['mediamtx', parseMediaMtx, ['action', 'path', 'query', 'id', 'ip', 'protocol']],
    ] as const)('%s hook parser: a call or a domain error, for any body', (_name, parse, keys) => {
      fc.assert(
        fc.property(bodyFor([...keys]), (input) => onlyDomainErrors(() => parse(input))),
        { numRuns: 2000 },
      );
      // Realistic bodies with fuzzed values reach the deeper branches.
      const realistic = fc.record(
        Object.fromEntries(
          keys.map((k) => [
            k,
            fc.oneof(
              fc.string(),
              fc.constantFrom(
                'publish',
                'on_publish',
                'read',
                'play',
                'on_play',
                'publish_done',
                'on_unpublish',
                'play_done',
                'on_stop',
                'update_play',
                '?key=a&key=b',
                '?sid=a&sid=b',
                'key=x&exp=1&sig=y',
                '?exp=&sig=',
                randomUUID(),
              ),
            ),
          ]),
        ),
      );
      fc.assert(
        fc.property(realistic, (input) => onlyDomainErrors(() => parse(input))),
        { numRuns: 2000 },
      );
    });

    it.each([
      ['room:join', JoinRoomPayload],
      ['room:leave / presence:heartbeat', RoomPayload],
      ['chat:send', SendMessagePayload],
      ['chat:delete', DeleteMessagePayload],
    ] as const)(
      'socket payload %s: validated into a value or an error ack, never a throw',
      (_name, cls) => {
        fc.assert(
          fc.property(
            bodyFor(['roomId', 'text', 'clientMsgId', 'messageId', 'viewerId']),
            (input) => {
              const r = validatePayload(cls as new () => object, input);
              expect(r.ok === true ? 'a value' : r.error.code).toMatch(
                /^(a value|VALIDATION_FAILED)$/,
              );
            },
          ),
          { numRuns: 500 },
        );
      },
    );
  });

  describe('a running app', () => {
    // A real process: an unhandled rejection or exception there ends it (Node's default) and
    // prints the error, which a listener inside the jest sandbox would never see.
    let m: ModeEnv;
    let app: AppProcess;
    let token: string;
    let admin: string;
    let ids: { room: string; stream: string };

    /** The process is still up and printed no unhandled rejection or uncaught exception. */
    async function expectUnharmed(): Promise<void> {
      expect(app.proc.exitCode).toBeNull();
      expect(app.output()).not.toMatch(/unhandled|UnhandledPromiseRejection|uncaught/i);
      expect((await app.http.get('/health/ready')).status).toBe(200);
    }

    beforeAll(async () => {
      m = await modeEnv('embedded', {
        ...ADMIN,
        THROTTLE_LIMIT: '10000000',
        LOGIN_THROTTLE_LIMIT: '10000',
        MAX_STREAMS_PER_USER: '10000',
        ALERT_WEBHOOK_TOKEN: 'fuzz-alert-token',
      });
      app = await spawnApp(m.env);
      token = (await app.http.user('fuzz')).token;
      admin = await adminToken(app.http);
      ids = {
        room: (await app.http.post('/api/v1/rooms', { name: 'fuzz room' }, token)).body.id,
        stream: (await app.http.post('/api/v1/streams', { title: 'fuzz stream' }, token)).body.id,
      };
    });
    afterAll(async () => {
      await app?.stop('SIGKILL');
      await m?.cleanup();
    });

    const targets = () =>
      [
        ['POST', '/api/v1/auth/register', undefined],
        ['POST', '/api/v1/auth/login', undefined],
        ['POST', '/api/v1/streams', token],
        ['PATCH', `/api/v1/streams/${ids.stream}`, token],
        ['POST', '/api/v1/rooms', token],
        ['PATCH', `/api/v1/rooms/${ids.room}`, token],
        ['POST', `/api/v1/rooms/${ids.room}/bans`, token],
        ['POST', `/api/v1/rooms/${ids.room}/heartbeat`, undefined],
        ['PUT', `/api/v1/videos/${randomUUID()}/progress`, token],
        ['POST', `/api/v1/hooks/nginx-rtmp?secret=${TEST_SECRETS.HOOK_SECRET}`, undefined],
        ['POST', `/api/v1/hooks/srs?secret=${TEST_SECRETS.HOOK_SECRET}`, undefined],
        ['POST', `/api/v1/hooks/mediamtx?secret=${TEST_SECRETS.HOOK_SECRET}`, undefined],
        ['POST', '/api/v1/alerts/alertmanager', 'fuzz-alert-token'],
        ['POST', `/api/v1/users/${randomUUID()}/disable`, admin],
      ] as const;

    it('never answers 500 to random JSON bodies on any writable route', async () => {
      const failures: string[] = [];
      for (const [method, path, auth] of targets()) {
        await fc.assert(
          fc.asyncProperty(nasty, async (body) => {
            const r = await app.http.request(method, path, { token: auth, body });
            if (r.status >= 500)
              failures.push(
                `${method} ${path} ${JSON.stringify(body).slice(0, 120)} → ${r.status}`,
              );
            return r.status < 500;
          }),
          { numRuns: 120 },
        );
      }
      expect(failures).toEqual([]);
      await expectUnharmed();
    }, 120_000);

    it('never answers 500 to random query strings and path ids', async () => {
      const segment = fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.string({ unit: 'binary', maxLength: 10 }),
        fc.constantFrom('..', '%2e%2e', '%00', '%ff', '%', randomUUID(), '-1', '9'.repeat(30)),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            '/api/v1/streams',
            '/api/v1/rooms',
            '/api/v1/videos',
            '/api/v1/rooms/' + randomUUID() + '/messages',
          ),
          fc.dictionary(
            fc.constantFrom('limit', 'cursor', 'status', 'ownerId', 'x', 'limit[]'),
            segment,
            { maxKeys: 4 },
          ),
          async (base, q) => {
            const qs = Object.entries(q)
              .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
              .join('&');
            const r = await app.http.get(`${base}?${qs}`);
            return r.status < 500;
          },
        ),
        { numRuns: 300 },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('streams', 'rooms', 'videos'),
          segment,
          fc.constantFrom('', '/content', '/presence', '/messages', '/progress'),
          async (kind, id, tail) => {
            let path: string;
            try {
              path = `/api/v1/${kind}/${encodeURIComponent(id)}${tail}`;
            } catch {
              return true; // lone surrogates cannot be sent
            }
            const r = await app.http.get(path, token);
            return r.status < 500;
          },
        ),
        { numRuns: 300 },
      );
      await expectUnharmed();
    }, 120_000);
  });
});
