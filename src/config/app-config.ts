import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

/** Raised for any invalid environment value; the message is one line naming the variable. */
export class ConfigError extends Error {}

export type DatabaseMode = 'sqlite' | 'postgres';

export interface AppConfig {
  readonly version: string;
  readonly nodeEnv: string;
  readonly isProduction: boolean;
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly database: {
    readonly mode: DatabaseMode;
    readonly url?: string;
    readonly sqlitePath: string;
    readonly poolSize: number;
    readonly connectTimeoutMs: number;
    readonly queryTimeoutMs: number;
  };
  readonly redis: {
    readonly url?: string;
    readonly keyPrefix: string;
    readonly commandTimeoutMs: number;
  };
  readonly jwt: {
    readonly secret: string;
    readonly generated: boolean;
    readonly expiresInSec: number;
    readonly issuer: string;
    readonly audience: string;
  };
  readonly admin?: { readonly username: string; readonly password: string };
  readonly hooks: {
    readonly secret: string;
    readonly generated: boolean;
    readonly publishTimeoutMs: number;
  };
  readonly playUrl: {
    readonly secret: string;
    readonly generated: boolean;
    readonly ttlSec: number;
  };
  readonly media: {
    readonly rtmpIngestUrl: string;
    readonly hlsBaseUrl: string;
    /** Unset by default: nginx-rtmp cannot serve live HTTP-FLV (SRS can). */
    readonly flvBaseUrl?: string;
    /** Base of RTMP play URLs; defaults to the ingest base. */
    readonly rtmpPlayUrl: string;
  };
  /** A playback session counts as a viewer while seen within this many seconds. */
  readonly playSessionTtlSec: number;
  /** Live-state upkeep (0.2): sweeping silent streams, cutting publishers on the media servers. */
  readonly liveState: {
    /** A live stream unconfirmed this long is swept to idle; 0 = never. */
    readonly streamStaleSec: number;
    /** SRS HTTP API base (e.g. http://srs:1985), used to kick a publisher. */
    readonly srsApiUrl?: string;
    /** MediaMTX control API base (e.g. http://mediamtx:9997), used to kick a publisher. */
    readonly mediamtxApiUrl?: string;
  };
  readonly metricsToken?: string;
  readonly corsOrigins: readonly string[];
  readonly trustProxy: boolean | number | string;
  readonly throttle: {
    readonly limit: number;
    readonly ttlSec: number;
    readonly loginLimit: number;
    readonly loginTtlSec: number;
  };
  readonly chat: {
    readonly rateLimit: number;
    readonly rateWindowSec: number;
    readonly retentionDays: number;
  };
  readonly wsMaxPayloadBytes: number;
  /** New Socket.IO sessions per client IP and instance: burst, then per second. */
  readonly wsHandshakes: { readonly burst: number; readonly perSec: number };
  readonly presenceTtlSec: number;
  readonly maxUploadBytes: number;
  /**
   * With a reverse proxy that serves files itself (nginx): video content is answered with
   * `X-Accel-Redirect: <prefix><file>` and an empty body, and the proxy sends the bytes from an
   * `internal` location at this prefix. Unset = OnAir streams the bytes.
   */
  readonly videoAccelRedirectPrefix?: string;
  readonly bodyLimitBytes: number;
  readonly maxStreamsPerUser: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** Recordings reported by the media server (record_done / on_dvr) become videos. */
  readonly recordings: {
    /** Absolute directory the media server records into; unset = recordings are refused. */
    readonly dir?: string;
    /** Imports (ffmpeg remuxes) running at once in this instance. */
    readonly concurrency: number;
    /** An ffmpeg remux still running after this long is killed and the import fails. */
    readonly remuxTimeoutSec: number;
  };
  /** Serve the pages (/, /watch, /studio, /embed/chat) and their assets; the API is unaffected. */
  readonly webUi: boolean;
  readonly alerts: {
    readonly webhookToken?: string;
    readonly dingtalkUrl?: string;
    readonly dingtalkSecret?: string;
    readonly wecomUrl?: string;
    readonly slackUrl?: string;
  };
  readonly webhooks: {
    readonly maxAttempts: number;
    readonly allowPrivate: boolean;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
    readonly pollIntervalMs: number;
    readonly concurrency: number;
  };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Env = Record<string, string | undefined>;

/** Placeholder values people copy from examples; refused as secrets in production. */
const WEAK_SECRETS = new Set([
  'secret',
  'changeme',
  'change-me',
  'changethis',
  'password',
  'jwt_secret',
  'your-secret',
  'dev',
  'test',
]);

class Reader {
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    if (v === undefined) return undefined;
    const t = v.trim();
    return t === '' ? undefined : t;
  }

  fail(name: string, expected: string, got?: string): never {
    const shown =
      got === undefined ? '' : ` (got "${got.length > 40 ? got.slice(0, 40) + '…' : got}")`;
    throw new ConfigError(`Invalid configuration: ${name} must be ${expected}${shown}`);
  }

  int(name: string, def: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!/^-?\d+$/.test(v)) this.fail(name, `an integer between ${min} and ${max}`, v);
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max)
      this.fail(name, `an integer between ${min} and ${max}`, v);
    return n;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return def;
    const l = v.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(l)) return true;
    if (['0', 'false', 'no', 'off'].includes(l)) return false;
    this.fail(name, 'true or false', v);
  }

  url(name: string, def: string | undefined, protocols: readonly string[]): string | undefined {
    const v = this.raw(name) ?? def;
    if (v === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      this.fail(name, `a URL (${protocols.join(', ')})`, v);
    }
    if (!protocols.includes(u.protocol))
      this.fail(name, `a URL with one of ${protocols.join(', ')}`, v);
    return v.replace(/\/+$/, '');
  }

  str(name: string, def?: string): string | undefined {
    return this.raw(name) ?? def;
  }
}

/** "1h", "30m", "45s", "2d" or plain seconds. */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+)\s*([smhd]?)$/i.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[
    m[2].toLowerCase() as '' | 's' | 'm' | 'h' | 'd'
  ];
  const sec = n * mult;
  return sec > 0 && Number.isSafeInteger(sec) ? sec : undefined;
}

function secret(
  r: Reader,
  name: string,
  production: boolean,
): { value: string; generated: boolean } {
  const v = r.raw(name);
  if (v === undefined) {
    if (production) r.fail(name, 'set when NODE_ENV=production (at least 32 characters)');
    return { value: randomBytes(32).toString('base64url'), generated: true };
  }
  if (production && (v.length < 32 || WEAK_SECRETS.has(v.toLowerCase()))) {
    r.fail(
      name,
      'a strong secret of at least 32 characters when NODE_ENV=production',
      '<redacted>',
    );
  }
  if (v.length < 16) r.fail(name, 'at least 16 characters long', '<redacted>');
  return { value: v, generated: false };
}

function readVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../package.json') as { version: string }).version;
  } catch {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('../../../package.json') as { version: string }).version;
    } catch {
      return '0.0.0';
    }
  }
}

export function loadConfig(env: Env = process.env): AppConfig {
  const r = new Reader(env);
  const nodeEnv = r.str('NODE_ENV', 'development')!;
  const isProduction = nodeEnv === 'production';
  const dataDir = path.resolve(r.str('DATA_DIR', './data')!);

  const dbUrl = r.url('DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  const redisUrl = r.url('REDIS_URL', undefined, ['redis:', 'rediss:']);

  const jwtSecret = secret(r, 'JWT_SECRET', isProduction);
  const hookSecret = secret(r, 'HOOK_SECRET', isProduction);
  const playSecret = secret(r, 'PLAY_URL_SECRET', isProduction);

  const expiresRaw = r.str('JWT_EXPIRES_IN', '1h')!;
  const expiresInSec = parseDuration(expiresRaw);
  if (expiresInSec === undefined || expiresInSec > 30 * 86400)
    return r.fail(
      'JWT_EXPIRES_IN',
      'a duration like 3600, 45m, 1h or 7d (at most 30d)',
      expiresRaw,
    );

  const adminUser = r.str('ADMIN_USERNAME');
  const adminPass = r.str('ADMIN_PASSWORD');
  if ((adminUser === undefined) !== (adminPass === undefined)) {
    r.fail(
      adminUser === undefined ? 'ADMIN_USERNAME' : 'ADMIN_PASSWORD',
      'set together with ' + (adminUser === undefined ? 'ADMIN_PASSWORD' : 'ADMIN_USERNAME'),
    );
  }
  if (adminUser !== undefined && !/^[a-zA-Z0-9_.-]{3,32}$/.test(adminUser))
    r.fail('ADMIN_USERNAME', '3..32 characters of [a-zA-Z0-9_.-]', adminUser);
  if (adminPass !== undefined && (adminPass.length < 8 || adminPass.length > 128))
    r.fail('ADMIN_PASSWORD', '8..128 characters long', '<redacted>');

  const corsRaw = r.str('CORS_ORIGINS', '');
  const corsOrigins = corsRaw!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of corsOrigins) {
    if (o === '*') continue;
    try {
      const u = new URL(o);
      if (!['http:', 'https:'].includes(u.protocol) || u.origin !== o.replace(/\/$/, ''))
        throw new Error();
    } catch {
      r.fail(
        'CORS_ORIGINS',
        'a comma-separated list of origins like https://app.example.com (or *)',
        o,
      );
    }
  }

  const tpRaw = r.str('TRUST_PROXY', 'false')!;
  let trustProxy: boolean | number | string;
  if (/^(true|false|1|0|yes|no|on|off)$/i.test(tpRaw) && !/^\d+$/.test(tpRaw))
    trustProxy = r.bool('TRUST_PROXY', false);
  else if (/^\d+$/.test(tpRaw)) trustProxy = r.int('TRUST_PROXY', 0, 0, 32);
  else if (/^[0-9a-fA-F.:/, ]+$/.test(tpRaw)) trustProxy = tpRaw;
  else
    return r.fail(
      'TRUST_PROXY',
      'true, false, a hop count, or a comma-separated list of proxy IPs/CIDRs',
      tpRaw,
    );

  const chatRaw = r.str('CHAT_RATE_LIMIT', '5/5')!;
  const cm = /^(\d+)(?:\s*\/\s*(\d+)\s*s?)?$/.exec(chatRaw);
  if (!cm)
    return r.fail(
      'CHAT_RATE_LIMIT',
      'messages per window like 5/5 (5 messages per 5 seconds) or 5',
      chatRaw,
    );
  const chatLimit = Number(cm[1]);
  const chatWindow = cm[2] === undefined ? 5 : Number(cm[2]);
  if (chatLimit < 1 || chatLimit > 10000 || chatWindow < 1 || chatWindow > 3600)
    r.fail('CHAT_RATE_LIMIT', 'between 1/1 and 10000/3600', chatRaw);

  const hsRaw = r.str('WS_HANDSHAKE_LIMIT', '20/10')!;
  const hs = /^(\d+)\s*\/\s*(\d+)$/.exec(hsRaw);
  if (!hs || Number(hs[1]) < 1 || Number(hs[2]) < 1)
    return r.fail('WS_HANDSHAKE_LIMIT', 'burst/per-second like 20/10 (both ≥ 1)', hsRaw);

  const logLevel = r.str('LOG_LEVEL', 'info')!.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    r.fail('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, logLevel);

  const metricsToken = r.str('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 8)
    r.fail('METRICS_TOKEN', 'at least 8 characters long', '<redacted>');
  const alertToken = r.str('ALERT_WEBHOOK_TOKEN');
  if (alertToken !== undefined && alertToken.length < 8)
    r.fail('ALERT_WEBHOOK_TOKEN', 'at least 8 characters long', '<redacted>');

  const recordingsDir = r.str('RECORDINGS_DIR');
  if (recordingsDir !== undefined && !path.isAbsolute(recordingsDir))
    r.fail('RECORDINGS_DIR', 'an absolute directory path', recordingsDir);

  const accelPrefix = r.str('VIDEO_ACCEL_REDIRECT_PREFIX');
  // Plain segments (none starting with a dot): a file name is appended to it, and the result
  // must never climb out of the proxy's internal location.
  if (accelPrefix !== undefined && !/^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\/)+$/.test(accelPrefix))
    r.fail(
      'VIDEO_ACCEL_REDIRECT_PREFIX',
      'a path like /internal/videos/ (starts and ends with /, segments of [A-Za-z0-9._~-] not starting with a dot)',
      accelPrefix,
    );

  const redisPrefix = r.str('REDIS_KEY_PREFIX', '')!;
  if (!/^[a-zA-Z0-9:_.-]{0,64}$/.test(redisPrefix))
    r.fail('REDIS_KEY_PREFIX', 'up to 64 characters of [a-zA-Z0-9:_.-]', redisPrefix);

  return {
    version: readVersion(),
    nodeEnv,
    isProduction,
    port: r.int('PORT', 3000, 0, 65535),
    host: r.str('HOST', '0.0.0.0')!,
    dataDir,
    database: {
      mode: dbUrl ? 'postgres' : 'sqlite',
      url: dbUrl,
      sqlitePath: path.join(dataDir, 'onair.sqlite'),
      poolSize: r.int('DATABASE_POOL_SIZE', 10, 1, 200),
      connectTimeoutMs: r.int('DATABASE_CONNECT_TIMEOUT_MS', 2000, 100, 60000),
      queryTimeoutMs: r.int('DATABASE_QUERY_TIMEOUT_MS', 5000, 100, 600000),
    },
    redis: {
      url: redisUrl,
      keyPrefix: redisPrefix,
      commandTimeoutMs: r.int('REDIS_COMMAND_TIMEOUT_MS', 1000, 50, 60000),
    },
    jwt: {
      secret: jwtSecret.value,
      generated: jwtSecret.generated,
      expiresInSec: expiresInSec,
      issuer: 'onair',
      audience: 'onair-api',
    },
    admin:
      adminUser !== undefined && adminPass !== undefined
        ? { username: adminUser, password: adminPass }
        : undefined,
    hooks: {
      secret: hookSecret.value,
      generated: hookSecret.generated,
      publishTimeoutMs: r.int('HOOK_PUBLISH_TIMEOUT_MS', 2000, 100, 2000),
    },
    playUrl: {
      secret: playSecret.value,
      generated: playSecret.generated,
      ttlSec: r.int('PLAY_URL_TTL_SEC', 3600, 10, 7 * 86400),
    },
    media: {
      rtmpIngestUrl: r.url('RTMP_INGEST_URL', 'rtmp://localhost:1935/live', ['rtmp:', 'rtmps:'])!,
      hlsBaseUrl: r.url('HLS_BASE_URL', 'http://localhost:8080/hls', ['http:', 'https:'])!,
      flvBaseUrl: r.url('FLV_BASE_URL', undefined, ['http:', 'https:']),
      rtmpPlayUrl: r.url(
        'RTMP_PLAY_URL',
        r.url('RTMP_INGEST_URL', 'rtmp://localhost:1935/live', ['rtmp:', 'rtmps:']),
        ['rtmp:', 'rtmps:'],
      )!,
    },
    playSessionTtlSec: r.int('PLAY_SESSION_TTL_SEC', 30, 2, 3600),
    liveState: {
      streamStaleSec: r.int('STREAM_STALE_SEC', 60, 0, 86400),
      srsApiUrl: r.url('SRS_API_URL', undefined, ['http:', 'https:']),
      mediamtxApiUrl: r.url('MEDIAMTX_API_URL', undefined, ['http:', 'https:']),
    },
    metricsToken,
    corsOrigins,
    trustProxy,
    throttle: {
      limit: r.int('THROTTLE_LIMIT', 300, 1, 10_000_000),
      ttlSec: r.int('THROTTLE_TTL_SEC', 60, 1, 86400),
      loginLimit: r.int('LOGIN_THROTTLE_LIMIT', 10, 1, 10000),
      loginTtlSec: r.int('LOGIN_THROTTLE_TTL_SEC', 60, 1, 86400),
    },
    chat: {
      rateLimit: chatLimit,
      rateWindowSec: chatWindow,
      retentionDays: r.int('CHAT_RETENTION_DAYS', 30, 0, 36500),
    },
    wsHandshakes: { burst: Number(hs[1]), perSec: Number(hs[2]) },
    wsMaxPayloadBytes: r.int('WS_MAX_PAYLOAD_BYTES', 16384, 1024, 10 * 1024 * 1024),
    presenceTtlSec: r.int('PRESENCE_TTL_SEC', 30, 2, 3600),
    maxUploadBytes: r.int(
      'MAX_UPLOAD_BYTES',
      4 * 1024 * 1024 * 1024,
      1024,
      Number.MAX_SAFE_INTEGER,
    ),
    videoAccelRedirectPrefix: accelPrefix,
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 100 * 1024, 1024, 100 * 1024 * 1024),
    maxStreamsPerUser: r.int('MAX_STREAMS_PER_USER', 5, 1, 10000),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10000, 100, 600000),
    logLevel: logLevel as LogLevel,
    recordings: {
      dir: recordingsDir === undefined ? undefined : path.resolve(recordingsDir),
      concurrency: r.int('RECORDINGS_CONCURRENCY', 1, 1, 32),
      remuxTimeoutSec: r.int('RECORDINGS_REMUX_TIMEOUT_SEC', 1800, 10, 86400),
    },
    webUi: r.bool('WEB_UI', true),
    alerts: {
      webhookToken: alertToken,
      dingtalkUrl: r.url('DINGTALK_WEBHOOK_URL', undefined, ['http:', 'https:']),
      dingtalkSecret: r.str('DINGTALK_SECRET'),
      wecomUrl: r.url('WECOM_WEBHOOK_URL', undefined, ['http:', 'https:']),
      slackUrl: r.url('SLACK_WEBHOOK_URL', undefined, ['http:', 'https:']),
    },
    webhooks: {
      maxAttempts: r.int('WEBHOOK_MAX_ATTEMPTS', 8, 1, 50),
      allowPrivate: r.bool('WEBHOOK_ALLOW_PRIVATE', false),
      backoffBaseMs: r.int('WEBHOOK_BACKOFF_BASE_MS', 30000, 10, 86_400_000),
      backoffMaxMs: r.int('WEBHOOK_BACKOFF_MAX_MS', 3_600_000, 10, 7 * 86_400_000),
      pollIntervalMs: r.int('WEBHOOK_POLL_INTERVAL_MS', 1000, 50, 60000),
      concurrency: r.int('WEBHOOK_CONCURRENCY', 8, 1, 256),
    },
  };
}
