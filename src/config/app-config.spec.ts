import { ConfigError, loadConfig, parseDuration } from './app-config';

const strong = 'x'.repeat(40);

describe('loadConfig', () => {
  it('uses the contract defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.database.mode).toBe('sqlite');
    expect(c.database.sqlitePath).toMatch(/data\/onair\.sqlite$/);
    expect(c.redis.url).toBeUndefined();
    expect(c.jwt.expiresInSec).toBe(3600);
    expect(c.jwt.generated).toBe(true);
    expect(c.playUrl.ttlSec).toBe(3600);
    expect(c.media.rtmpIngestUrl).toBe('rtmp://localhost:1935/live');
    expect(c.media.rtmpPlayUrl).toBe('rtmp://localhost:1935/live');
    expect(c.media.hlsBaseUrl).toBe('http://localhost:8080/hls');
    expect(c.media.flvBaseUrl).toBeUndefined();
    expect(c.playSessionTtlSec).toBe(30);
    expect(c.trustProxy).toBe(false);
    expect(c.chat).toMatchObject({ rateLimit: 5, rateWindowSec: 5, retentionDays: 30 });
    expect(c.wsMaxPayloadBytes).toBe(16384);
    expect(c.presenceTtlSec).toBe(30);
    expect(c.shutdownTimeoutMs).toBe(10000);
    expect(c.logLevel).toBe('info');
    expect(c.webhooks).toEqual({
      maxAttempts: 8,
      allowPrivate: false,
      backoffBaseMs: 30000,
      backoffMaxMs: 3_600_000,
      pollIntervalMs: 1000,
      concurrency: 8,
    });
  });

  it('bases RTMP play URLs on the ingest base unless RTMP_PLAY_URL is set', () => {
    expect(loadConfig({ RTMP_INGEST_URL: 'rtmp://media.example/live/' }).media.rtmpPlayUrl).toBe(
      'rtmp://media.example/live',
    );
    const c = loadConfig({
      RTMP_INGEST_URL: 'rtmp://ingest.example/live',
      RTMP_PLAY_URL: 'rtmps://edge.example/live',
      FLV_BASE_URL: 'http://srs.example:8080/live',
      PLAY_SESSION_TTL_SEC: '12',
    });
    expect(c.media).toMatchObject({
      rtmpIngestUrl: 'rtmp://ingest.example/live',
      rtmpPlayUrl: 'rtmps://edge.example/live',
      flvBaseUrl: 'http://srs.example:8080/live',
    });
    expect(c.playSessionTtlSec).toBe(12);
  });

  it('switches to PostgreSQL and Redis by URL', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/onair',
      REDIS_URL: 'redis://r:6379',
    });
    expect(c.database.mode).toBe('postgres');
    expect(c.redis.url).toBe('redis://r:6379');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['JWT_EXPIRES_IN', 'forever'],
    ['PLAY_URL_TTL_SEC', '-1'],
    ['TRUST_PROXY', 'maybe!'],
    ['CHAT_RATE_LIMIT', 'lots'],
    ['LOG_LEVEL', 'loud'],
    ['CORS_ORIGINS', 'ftp://x'],
    ['HLS_BASE_URL', 'nope'],
    ['MAX_UPLOAD_BYTES', '1.5'],
    ['THROTTLE_LIMIT', '0'],
    ['PRESENCE_TTL_SEC', 'x'],
    ['PLAY_SESSION_TTL_SEC', '1'],
    ['PLAY_SESSION_TTL_SEC', 'soon'],
    ['RTMP_PLAY_URL', 'http://not-rtmp'],
    ['FLV_BASE_URL', 'rtmp://not-http'],
    ['SHUTDOWN_TIMEOUT_MS', '10s'],
    ['ADMIN_USERNAME', 'bad name'],
    ['WEBHOOK_MAX_ATTEMPTS', '0'],
    ['WEBHOOK_ALLOW_PRIVATE', 'sometimes'],
    ['WEBHOOK_BACKOFF_BASE_MS', 'fast'],
    ['WEBHOOK_CONCURRENCY', '0'],
  ])('refuses %s=%s with one line naming the variable', (name, value) => {
    const env: Record<string, string> = { [name]: value };
    if (name === 'ADMIN_USERNAME') env.ADMIN_PASSWORD = 'password-123';
    let err: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain(name);
    expect(msg.split('\n')).toHaveLength(1);
  });

  it('requires a strong JWT_SECRET (and hook/play secrets) in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: 'changeme',
        HOOK_SECRET: strong,
        PLAY_URL_SECRET: strong,
      }),
    ).toThrow(/JWT_SECRET/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: 'short-secret-1234',
        HOOK_SECRET: strong,
        PLAY_URL_SECRET: strong,
      }),
    ).toThrow(/JWT_SECRET/);
    expect(() =>
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong, PLAY_URL_SECRET: strong }),
    ).toThrow(/HOOK_SECRET/);
    const c = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: strong,
      HOOK_SECRET: strong,
      PLAY_URL_SECRET: strong,
    });
    expect(c.jwt.generated).toBe(false);
    expect(c.isProduction).toBe(true);
  });

  it('never echoes a secret value in its error', () => {
    let message = '';
    try {
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'changeme-but-still-weak' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/JWT_SECRET/);
    expect(message).not.toContain('changeme-but-still-weak');
  });

  it('parses trust-proxy forms and chat limits', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy).toBe(
      '10.0.0.0/8,127.0.0.1',
    );
    expect(loadConfig({ CHAT_RATE_LIMIT: '10/30' }).chat).toMatchObject({
      rateLimit: 10,
      rateWindowSec: 30,
    });
    expect(
      loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins,
    ).toEqual(['https://a.example', 'http://localhost:5173']);
  });

  it('reads the recordings settings: an absolute directory, bounded concurrency and time-out', () => {
    expect(loadConfig({}).recordings).toEqual({
      dir: undefined,
      concurrency: 1,
      remuxTimeoutSec: 1800,
    });
    expect(
      loadConfig({
        RECORDINGS_DIR: '/var/lib/nginx-rtmp/recordings/',
        RECORDINGS_CONCURRENCY: '4',
        RECORDINGS_REMUX_TIMEOUT_SEC: '60',
      }).recordings,
    ).toEqual({ dir: '/var/lib/nginx-rtmp/recordings', concurrency: 4, remuxTimeoutSec: 60 });
    expect(() => loadConfig({ RECORDINGS_DIR: 'recordings' })).toThrow(
      /^Invalid configuration: RECORDINGS_DIR must be an absolute directory path/,
    );
    expect(() => loadConfig({ RECORDINGS_CONCURRENCY: '0' })).toThrow(/RECORDINGS_CONCURRENCY/);
    expect(() => loadConfig({ RECORDINGS_REMUX_TIMEOUT_SEC: 'soon' })).toThrow(
      /RECORDINGS_REMUX_TIMEOUT_SEC/,
    );
  });

  it('reads VIDEO_ACCEL_REDIRECT_PREFIX as a path of plain segments', () => {
    expect(loadConfig({}).videoAccelRedirectPrefix).toBeUndefined();
    expect(
      loadConfig({ VIDEO_ACCEL_REDIRECT_PREFIX: '/internal/videos/' }).videoAccelRedirectPrefix,
    ).toBe('/internal/videos/');
    for (const bad of [
      'internal/',
      '/internal',
      '/',
      '/a/../b/',
      '/./',
      '/a b/',
      '/a//b/',
      '/%2e%2e/',
    ])
      expect(() => loadConfig({ VIDEO_ACCEL_REDIRECT_PREFIX: bad })).toThrow(
        /^Invalid configuration: VIDEO_ACCEL_REDIRECT_PREFIX must be a path like \/internal\/videos\//,
      );
  });

  it('treats empty values as unset (compose passes ${VAR:-})', () => {
    expect(loadConfig({ DATABASE_URL: '', REDIS_URL: '  ', PORT: '' }).database.mode).toBe(
      'sqlite',
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['3600', 3600],
    ['45m', 2700],
    ['1h', 3600],
    ['7d', 604800],
    ['30s', 30],
  ])('%s → %d s', (v, n) => expect(parseDuration(v)).toBe(n));
  it.each(['', 'x', '-1', '1w', '0'])('rejects %p', (v) =>
    expect(parseDuration(v)).toBeUndefined(),
  );
});
