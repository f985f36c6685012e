import * as path from 'node:path';
import { ValidationFailedError } from '../common/errors';
import type { HookServer, PlaybackProtocol } from '../metrics/metrics.service';

/** A playback session as a player's query carries it (`?sid=…&exp=…&sig=…`). */
export interface SessionArgs {
  sid: string | null;
  exp: string | null;
  sig: string | null;
}

/**
 * What a media server asked, independent of its dialect. Field values are passed on as
 * sent (the stream rules refuse a name that is not a stream id, a wrong key, a bad
 * signature); only a body whose structure we cannot trust is a 400.
 */
export type HookCall =
  | {
      action: 'publish';
      name: string | null;
      key: string | null;
      clientId: string | null;
      /** Transport as the media server names it (MediaMTX); needed to kick that connection. */
      protocol?: string | null;
    }
  /** The media server asks whether a live publisher may go on (nginx-rtmp update_publish). */
  | { action: 'update_publish'; name: string | null; key: string | null; clientId: string | null }
  | { action: 'publish_done'; name: string | null; clientId: string | null }
  | ({
      action: 'play';
      name: string | null;
      protocol: PlaybackProtocol;
      /**
       * How long an allowed play counts the session: `ttl` = PLAY_SESSION_TTL_SEC, refreshed by
       * the server's updates (nginx-rtmp on_update) or checks; `exp` = until the session
       * expires, for servers that never send updates but do say when a player leaves (SRS).
       */
      lease: 'ttl' | 'exp';
    } & SessionArgs)
  | ({ action: 'play_done'; name: string | null } & SessionArgs)
  /** nginx-rtmp on_update for a player: allowed while the session is valid, refreshes it. */
  | ({ action: 'update_play'; name: string | null } & SessionArgs)
  /** A finished recording file (nginx-rtmp record_done, SRS on_dvr); checked by recordings. */
  | { action: 'record_done'; name: string | null; path: string | null }
  /** A notification we do not act on: answered "allowed", nothing changes. */
  | { action: 'ignore' }
  /** A request we never allow (e.g. MediaMTX API access through the auth hook). */
  | { action: 'deny' };

/** The stream name as far as we care: longer than a UUID means it cannot be one. */
const MAX_NAME = 64;
/** streams.publisherClientId is varchar(128); no media server sends more. */
const MAX_CLIENT_ID = 128;

type Fields = Record<string, unknown>;

function asObject(body: unknown): Fields {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationFailedError('body must be an object');
  return body as Fields;
}

/**
 * A string field, or null when absent/empty. A repeated field (an array, as a form parser
 * returns `a=1&a=2`) is refused: nginx-rtmp appends the client's own query string to the
 * body, so a repeated `name`, `key` or `clientid` means a client tried to smuggle a value.
 */
function field(body: Fields, name: string, opts: { numeric?: boolean } = {}): string | null {
  const v = body[name];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string') return v;
  if (opts.numeric && typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (Array.isArray(v)) throw new ValidationFailedError(`${name} must be given once`);
  throw new ValidationFailedError(`${name} must be a string`);
}

function session(fields: Fields): SessionArgs {
  return { sid: field(fields, 'sid'), exp: field(fields, 'exp'), sig: field(fields, 'sig') };
}

/** SRS plays RTMP (tcUrl rtmp://…) and HTTP-FLV (tcUrl http://…) through the same hook. */
function srsProtocol(tcUrl: string | null): PlaybackProtocol {
  if (tcUrl === null) return 'other';
  if (/^rtmps?:/i.test(tcUrl)) return 'rtmp';
  if (/^https?:/i.test(tcUrl)) return 'flv';
  return 'other';
}

function mediaMtxProtocol(protocol: string | null): PlaybackProtocol {
  return protocol === 'rtmp' || protocol === 'hls' ? protocol : 'other';
}

function name(raw: string | null): string | null {
  return raw !== null && raw.length <= MAX_NAME ? raw : null;
}

function clientId(raw: string | null, label: string): string | null {
  if (raw !== null && raw.length > MAX_CLIENT_ID)
    throw new ValidationFailedError(`${label} must be at most ${MAX_CLIENT_ID} characters`);
  return raw;
}

/** `?key=..&exp=..` (SRS param) or `key=..` (MediaMTX query) → single-valued fields. */
function queryFields(raw: string | null, label: string): Fields {
  const out: Fields = {};
  if (raw === null) return out;
  const params = new URLSearchParams(raw.startsWith('?') ? raw.slice(1) : raw);
  for (const k of ['key', 'sid', 'exp', 'sig']) {
    const all = params.getAll(k);
    if (all.length > 1) throw new ValidationFailedError(`${label}: ${k} must be given once`);
    if (all.length === 1) out[k] = all[0];
  }
  return out;
}

const NGINX_CALLS = [
  'publish',
  'publish_done',
  'play',
  'play_done',
  'done',
  'update',
  'update_play',
  'update_publish',
  'connect',
  'record_done',
] as const;

/**
 * nginx-rtmp `notify_method post` body (form-encoded), e.g.
 * `app=live&flashver=..&swfurl=&tcurl=rtmp://..&pageurl=&addr=127.0.0.1&clientid=3&call=publish&name=<id>&type=live&key=<key>`.
 * `done`, `update` and `connect` are answered 2xx without effect (`record_done` queues a
 * recording): the shipped configuration uses publish_done/play_done, and a non-2xx to `update` would drop the session.
 * With `on_update` nginx-rtmp sends `update_publish` for a publisher (and `update_play` for a
 * player): update_publish is answered 2xx only while that publisher may go on.
 */
export function parseNginxRtmp(raw: unknown): HookCall {
  const body = asObject(raw);
  const call = field(body, 'call');
  if (call === null || !(NGINX_CALLS as readonly string[]).includes(call))
    throw new ValidationFailedError(`call must be one of ${NGINX_CALLS.join(', ')}`);
  const n = name(field(body, 'name'));
  switch (call as (typeof NGINX_CALLS)[number]) {
    case 'publish':
      return {
        action: 'publish',
        name: n,
        key: field(body, 'key'),
        clientId: clientId(field(body, 'clientid'), 'clientid'),
      };
    case 'publish_done':
      return {
        action: 'publish_done',
        name: n,
        clientId: clientId(field(body, 'clientid'), 'clientid'),
      };
    case 'play':
      return { action: 'play', name: n, protocol: 'rtmp', lease: 'ttl', ...session(body) };
    case 'play_done':
      return { action: 'play_done', name: n, ...session(body) };
    case 'update_play':
      return { action: 'update_play', name: n, ...session(body) };
    case 'update_publish':
      return {
        action: 'update_publish',
        name: n,
        key: field(body, 'key'),
        clientId: clientId(field(body, 'clientid'), 'clientid'),
      };
    case 'record_done':
      return { action: 'record_done', name: n, path: field(body, 'path') };
    case 'done':
    case 'update':
    case 'connect':
      return { action: 'ignore' };
  }
}

const SRS_ACTIONS = [
  'on_publish',
  'on_unpublish',
  'on_play',
  'on_stop',
  'on_connect',
  'on_close',
  'on_dvr',
  'on_hls',
  'on_hls_notify',
] as const;

/**
 * SRS `http_hooks` JSON, e.g. `{"action":"on_publish","client_id":"341w361a","ip":"127.0.0.1",
 * "vhost":"__defaultVhost__","app":"live","stream":"<id>","param":"?key=<key>",...}`.
 * client_id is a string since SRS 5 and a number before. Unknown actions are a 400
 * (SRS treats it as a failure): never allow what we do not understand.
 */
export function parseSrs(raw: unknown): HookCall {
  const body = asObject(raw);
  const action = field(body, 'action');
  if (action === null || !(SRS_ACTIONS as readonly string[]).includes(action))
    throw new ValidationFailedError(`action must be one of ${SRS_ACTIONS.join(', ')}`);
  const n = name(field(body, 'stream'));
  const id = clientId(field(body, 'client_id', { numeric: true }), 'client_id');
  switch (action as (typeof SRS_ACTIONS)[number]) {
    case 'on_publish':
      return {
        action: 'publish',
        name: n,
        key: field(queryFields(field(body, 'param'), 'param'), 'key'),
        clientId: id,
      };
    case 'on_unpublish':
      return { action: 'publish_done', name: n, clientId: id };
    case 'on_play':
      // SRS sends no periodic update but does send on_stop: the session is held until then.
      return {
        action: 'play',
        name: n,
        protocol: srsProtocol(field(body, 'tcUrl')),
        lease: 'exp',
        ...session(queryFields(field(body, 'param'), 'param')),
      };
    case 'on_stop':
      return {
        action: 'play_done',
        name: n,
        ...session(queryFields(field(body, 'param'), 'param')),
      };
    case 'on_dvr':
      return { action: 'record_done', name: n, path: srsFile(body) };
    case 'on_connect':
    case 'on_close':
    case 'on_hls':
    case 'on_hls_notify':
      return { action: 'ignore' };
  }
}

/**
 * The stream name in a MediaMTX path. MediaMTX has no applications: the ingest URL OnAir
 * hands out (`rtmp://…/live/<id>?key=…`) arrives as path `live/<id>`, while RTSP/SRT users
 * may publish to `<id>`. Both name the same stream: one leading segment (the application,
 * as nginx-rtmp and SRS see it: a plain word) is dropped; deeper paths name no stream.
 */
function mediaMtxStreamName(path: string | null): string | null {
  if (path === null) return null;
  const segments = (path.startsWith('/') ? path.slice(1) : path).split('/');
  if (segments.length === 1) return segments[0];
  // An application is a plain word: `..`, `.` or an empty segment never is.
  if (segments.length === 2 && /^[A-Za-z0-9_-]{1,64}$/.test(segments[0])) return segments[1];
  return null;
}

/**
 * SRS names the DVR file relative to its working directory when `dvr_path` is relative
 * (`"cwd":"/usr/local/srs","file":"./objs/nginx/html/live/x.flv"`); the absolute form is what the
 * recordings feature checks against RECORDINGS_DIR.
 */
function srsFile(body: Fields): string | null {
  const file = field(body, 'file');
  if (file === null || path.isAbsolute(file)) return file;
  const cwd = field(body, 'cwd');
  return cwd !== null && path.isAbsolute(cwd) ? path.resolve(cwd, file) : file;
}

/**
 * MediaMTX external HTTP auth (`authMethod: http`) JSON, e.g. `{"user":"","password":"",
 * "token":"","ip":"127.0.0.1","action":"publish","path":"<id>","protocol":"rtmp",
 * "id":"<uuid>","query":"key=<key>"}`. Only publish and read can be allowed; playback, api,
 * metrics, pprof (and anything newer) are refused. MediaMTX sends no "done" notification
 * through this hook, so a read counts its session for PLAY_SESSION_TTL_SEC only (a count that
 * could never go down would be wrong); see docs/media-servers.md.
 */
export function parseMediaMtx(raw: unknown): HookCall {
  const body = asObject(raw);
  const action = field(body, 'action');
  if (action === null) throw new ValidationFailedError('action is required');
  const n = name(mediaMtxStreamName(field(body, 'path')));
  const id = clientId(field(body, 'id'), 'id');
  if (action === 'publish')
    return {
      action: 'publish',
      name: n,
      key: field(queryFields(field(body, 'query'), 'query'), 'key'),
      clientId: id,
      protocol: name(field(body, 'protocol')),
    };
  if (action === 'read') {
    // No "stopped reading" call exists: a read counts its session for PLAY_SESSION_TTL_SEC.
    return {
      action: 'play',
      name: n,
      protocol: mediaMtxProtocol(field(body, 'protocol')),
      lease: 'ttl',
      ...session(queryFields(field(body, 'query'), 'query')),
    };
  }
  return { action: 'deny' };
}

const MEDIAMTX_ACTIONS = ['publish', 'read', 'playback', 'api', 'metrics', 'pprof'] as const;

/**
 * The `action` label of hook_duration_seconds for a request body: the dialect's call/action
 * when it is one we know, otherwise "other", so no caller can grow the series count.
 */
export function hookActionLabel(server: HookServer, body: unknown): string {
  if (server === 'hls') return 'check';
  const fields = typeof body === 'object' && body !== null ? (body as Fields) : {};
  const value = server === 'nginx-rtmp' ? fields.call : fields.action;
  const known: readonly string[] =
    server === 'nginx-rtmp' ? NGINX_CALLS : server === 'srs' ? SRS_ACTIONS : MEDIAMTX_ACTIONS;
  return typeof value === 'string' && known.includes(value) ? value : 'other';
}
