import { parseUuid } from '../common/uuid.pipe';
import type { SessionArgs } from '../hooks/hook-calls';

/** Longer than any URI a player of ours sends; more is refused without being read. */
export const MAX_HLS_URI = 2048;

/*
 * The stream id and what follows it at the END of the path, whatever location prefix nginx
 * uses: `<id>.m3u8`, `<id>-<n>.ts` (nginx-rtmp), `<id>/index.m3u8` and `<id>/<n>.ts` (nested).
 */
const HLS_PATH =
  /\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:\.m3u8|-\d{1,12}\.ts|\/index\.m3u8|\/\d{1,12}\.ts)$/;

export interface HlsRequest extends SessionArgs {
  streamId: string;
}

/**
 * The stream and session an HLS request (nginx's `$request_uri`) asks for, or null when it is
 * not a well-formed request for one stream. The URI is raw (not yet decoded or normalized by
 * nginx), so anything that could make nginx serve another file than the path reads — a `%`
 * escape or a dot segment — is refused rather than interpreted.
 */
export function parseHlsUri(uri: string): HlsRequest | null {
  if (uri.length > MAX_HLS_URI) return null;
  const q = uri.indexOf('?');
  const path = q < 0 ? uri : uri.slice(0, q);
  if (path.includes('%') || path.includes('/.')) return null;
  const m = HLS_PATH.exec(path);
  const streamId = m ? parseUuid(m[1]) : null;
  if (streamId === null) return null;
  const query = q < 0 ? '' : uri.slice(q + 1);
  const sid = param(query, 'sid');
  const exp = param(query, 'exp');
  const sig = param(query, 'sig');
  // A repeated parameter is a request we cannot read one way only: refuse it.
  if (sid === undefined || exp === undefined || sig === undefined) return null;
  return { streamId, sid, exp, sig };
}

/** Value of `name` in a raw query string; null when absent, undefined when given twice. */
function param(query: string, name: string): string | null | undefined {
  let found: string | null = null;
  let start = 0;
  while (start < query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    if (
      end - start > name.length &&
      query.charCodeAt(start + name.length) === 61 /* = */ &&
      query.startsWith(name, start)
    ) {
      if (found !== null) return undefined;
      found = query.slice(start + name.length + 1, end);
    }
    start = end + 1;
  }
  return found;
}
