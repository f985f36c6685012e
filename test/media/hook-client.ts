/**
 * Test-side client for the streams API and the media-server hooks: builds the bodies exactly
 * as nginx-rtmp 1.2.2, SRS and MediaMTX send them (captured from a real nginx-rtmp).
 */
import { createHmac } from 'node:crypto';
import type { Http, HttpResult } from '../helpers/http';
import { TEST_SECRETS } from '../helpers/modes';

export const HOOK_SECRET = TEST_SECRETS.HOOK_SECRET;

export interface CreatedStream {
  id: string;
  key: string;
  body: any;
}

export async function createStream(
  http: Http,
  token: string,
  title = 'Test stream',
  extra: Record<string, unknown> = {},
): Promise<CreatedStream> {
  const r = await http.post('/api/v1/streams', { title, ...extra }, token);
  if (r.status !== 201) throw new Error(`create stream failed: ${r.status} ${r.text}`);
  return { id: r.body.id, key: r.body.streamKey, body: r.body };
}

export async function getStream(http: Http, id: string): Promise<any> {
  const r = await http.get(`/api/v1/streams/${id}`);
  if (r.status !== 200) throw new Error(`get stream failed: ${r.status} ${r.text}`);
  return r.body;
}

export interface PlaySessionArgs {
  sid: string;
  exp: string;
  sig: string;
  /** `sid=…&exp=…&sig=…`, as a player appends it. */
  query: string;
}

/** sid, exp and sig of a signed play URL (any of hls, flv, rtmp). */
export function sessionArgs(url: string): PlaySessionArgs {
  const u = new URL(url);
  const sid = u.searchParams.get('sid')!;
  const exp = u.searchParams.get('exp')!;
  const sig = u.searchParams.get('sig')!;
  return { sid, exp, sig, query: `sid=${sid}&exp=${exp}&sig=${sig}` };
}

/** A new playback session for one player (POST /streams/:id/playback), as its query args. */
export async function playSession(
  http: Http,
  streamId: string,
  token?: string,
): Promise<PlaySessionArgs & { body: any }> {
  const r = await http.request('POST', `/api/v1/streams/${streamId}/playback`, { token });
  if (r.status !== 201) throw new Error(`playback session failed: ${r.status} ${r.text}`);
  return { ...sessionArgs(r.body.rtmp ?? r.body.hls), body: r.body };
}

/** A session signature made with the test PLAY_URL_SECRET (for expired/other-stream cases). */
export function signPlay(
  streamId: string,
  sid: string,
  exp: number,
  secret = TEST_SECRETS.PLAY_URL_SECRET,
): string {
  return createHmac('sha256', secret).update(`${streamId}:${sid}:${exp}`).digest('base64url');
}

/** The 0.1 signature over `<streamId>:<exp>` (no session), refused since 0.2. */
export function signPlayV1(
  streamId: string,
  exp: number,
  secret = TEST_SECRETS.PLAY_URL_SECRET,
): string {
  return createHmac('sha256', secret).update(`${streamId}:${exp}`).digest('base64url');
}

const PUBLISHER =
  'app=live&flashver=FMLE/3.0%20(compatible%3B%20Lavf59.27&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1';
const PLAYER =
  'app=live&flashver=LNX%209,0,124,2&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1';

/** The body nginx-rtmp posts; `args` is the client's raw query string, appended as nginx does. */
export function nginxBody(
  call: 'publish' | 'publish_done' | 'play' | 'play_done' | 'done' | 'update' | 'update_play',
  name: string,
  args: string,
  clientid = '3',
): string {
  switch (call) {
    case 'publish':
      return `${PUBLISHER}&clientid=${clientid}&call=publish&name=${name}&type=live${args ? `&${args}` : ''}`;
    case 'publish_done':
      return `${PUBLISHER}&clientid=${clientid}&call=publish_done&name=${name}${args ? `&${args}` : ''}`;
    case 'play':
      return `${PLAYER}&clientid=${clientid}&call=play&name=${name}&start=4294965296&duration=0&reset=0${args ? `&${args}` : ''}`;
    case 'update_play':
      // As nginx-rtmp 1.2.2 sends on_update for a player (call=update + _play, time, timestamp).
      return `${PLAYER}&clientid=${clientid}&call=update_play&time=30&timestamp=30012&name=${name}${args ? `&${args}` : ''}`;
    case 'play_done':
    case 'done':
    case 'update':
      return `${PLAYER}&clientid=${clientid}&call=${call}&name=${name}${args ? `&${args}` : ''}`;
  }
}

export function nginxHook(
  http: Http,
  body: string,
  secret: string | null = HOOK_SECRET,
): Promise<HttpResult> {
  const q = secret === null ? '' : `?secret=${encodeURIComponent(secret)}`;
  return http.request('POST', `/api/v1/hooks/nginx-rtmp${q}`, {
    raw: body,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

export function srsBody(
  action: 'on_publish' | 'on_unpublish' | 'on_play' | 'on_stop',
  stream: string,
  param: string,
  clientId: string | number = '341w361a',
): Record<string, unknown> {
  return {
    server_id: 'vid-0xk989d',
    service_id: 'f4o4aw1l',
    action,
    client_id: clientId,
    ip: '127.0.0.1',
    vhost: '__defaultVhost__',
    app: 'live',
    tcUrl: 'rtmp://127.0.0.1:1935/live',
    stream,
    param,
    stream_url: `/live/${stream}`,
    stream_id: 'vid-124q9y3',
    ...(action === 'on_play' || action === 'on_stop' ? { pageUrl: '' } : {}),
  };
}

export function srsHook(
  http: Http,
  body: unknown,
  secret: string | null = HOOK_SECRET,
): Promise<HttpResult> {
  const q = secret === null ? '' : `?secret=${encodeURIComponent(secret)}`;
  return http.request('POST', `/api/v1/hooks/srs${q}`, { body });
}

export function mediamtxBody(
  action: string,
  path: string,
  query: string,
  id: string | null = '9a3c1d2e-7b4f-4c5d-8e6f-1a2b3c4d5e6f',
): Record<string, unknown> {
  return {
    user: '',
    password: '',
    token: '',
    ip: '127.0.0.1',
    action,
    path,
    protocol: 'rtmp',
    id,
    query,
  };
}

export function mediamtxHook(
  http: Http,
  body: unknown,
  secret: string | null = HOOK_SECRET,
): Promise<HttpResult> {
  const q = secret === null ? '' : `?secret=${encodeURIComponent(secret)}`;
  return http.request('POST', `/api/v1/hooks/mediamtx${q}`, { body });
}

/** GET /api/v1/hooks/hls as nginx auth_request sends it. */
export function hlsCheck(
  http: Http,
  originalUri: string | null,
  secret: string | null = HOOK_SECRET,
): Promise<HttpResult> {
  const q = secret === null ? '' : `?secret=${encodeURIComponent(secret)}`;
  return http.request('GET', `/api/v1/hooks/hls${q}`, {
    headers: originalUri === null ? {} : { 'x-original-uri': originalUri },
  });
}

/** Value of one Prometheus sample line (`name{labels} value`), 0 when absent. */
export async function metricValue(http: Http, series: string): Promise<number> {
  const r = await http.get('/metrics');
  if (r.status !== 200) throw new Error(`/metrics: ${r.status}`);
  const line = String(r.text)
    .split('\n')
    .find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
