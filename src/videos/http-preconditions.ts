import type { IncomingHttpHeaders } from 'node:http';

/**
 * Conditional-request evaluation for video content (RFC 9110 §13.2.2 order).
 *
 * Why not leave this to @fastify/send: its ETag is weak and made from size+mtime, and its
 * Last-Modified is the file's mtime. Our validators come from the row instead (a strong ETag
 * from the content's sha256, Last-Modified from createdAt), so they survive a restore or a copy
 * to another replica's disk. send still does the byte work: range arithmetic, 206/416,
 * Content-Range/Content-Length, HEAD and the file stream.
 */
export interface Validators {
  /** Strong entity tag, quoted: `"<sha256 hex>"`. */
  etag: string;
  lastModified: Date;
  /** Representation size in bytes (used to normalise suffix ranges). */
  size: number;
}

export type Precondition =
  { kind: 'serve'; range?: string } | { kind: 'not-modified' } | { kind: 'precondition-failed' };

const MAX_RANGE_HEADER = 1024;
const MAX_RANGE_SPECS = 32;

/** Whole seconds: HTTP dates carry no milliseconds, so comparisons must not either. */
function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

export function httpDate(d: Date): string {
  return new Date(seconds(d) * 1000).toUTCString();
}

function parseHttpDate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Splits an entity-tag list; `*` is returned as is. */
function tags(list: string): string[] {
  return list
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

function strongMatch(tag: string, etag: string): boolean {
  return !tag.startsWith('W/') && tag === etag;
}

function weakMatch(tag: string, etag: string): boolean {
  const strip = (t: string) => (t.startsWith('W/') ? t.slice(2) : t);
  return strip(tag) === strip(etag);
}

/**
 * Strict `Range` parsing. Returns a normalised `bytes=` header for send, or undefined when the
 * header must be ignored (not bytes, syntactically invalid, last < first, absurdly many
 * specs): RFC 9110 lets a server ignore such a header and answer 200 with the whole file.
 * Suffix ranges longer than the file are rewritten to the whole file (RFC 9110 §14.1.2), which
 * send would otherwise refuse with 416.
 */
export function normaliseRange(raw: string | undefined, size: number): string | undefined {
  if (raw === undefined || raw.length > MAX_RANGE_HEADER) return undefined;
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(raw);
  if (!m) return undefined;
  const specs = m[1].split(',').map((s) => s.trim());
  if (specs.length === 0 || specs.length > MAX_RANGE_SPECS) return undefined;
  const out: string[] = [];
  for (const spec of specs) {
    const r = /^(\d*)-(\d*)$/.exec(spec);
    if (!r) return undefined;
    const [, first, last] = r;
    if (first === '' && last === '') return undefined;
    if (first === '') {
      // Suffix range "-n".
      const n = Number(last);
      out.push(n >= size ? '0-' : `-${last}`);
      continue;
    }
    if (last !== '' && Number(last) < Number(first)) return undefined;
    out.push(`${first}-${last}`);
  }
  return `bytes=${out.join(',')}`;
}

/**
 * Decides what a GET/HEAD of the content should answer. Order: If-Match, If-Unmodified-Since,
 * If-None-Match, If-Modified-Since, then Range gated by If-Range.
 */
export function evaluatePreconditions(
  method: string,
  headers: IncomingHttpHeaders,
  v: Validators,
): Precondition {
  const lastModified = seconds(v.lastModified);

  const ifMatch = header(headers, 'if-match');
  if (ifMatch !== undefined) {
    const list = tags(ifMatch);
    if (!list.includes('*') && !list.some((t) => strongMatch(t, v.etag)))
      return { kind: 'precondition-failed' };
  } else {
    const ius = parseHttpDate(header(headers, 'if-unmodified-since'));
    if (ius !== undefined && lastModified > ius) return { kind: 'precondition-failed' };
  }

  const ifNoneMatch = header(headers, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    const list = tags(ifNoneMatch);
    if (list.includes('*') || list.some((t) => weakMatch(t, v.etag)))
      return { kind: 'not-modified' };
    // A present If-None-Match makes If-Modified-Since irrelevant (RFC 9110 §13.1.3).
  } else {
    const ims = parseHttpDate(header(headers, 'if-modified-since'));
    if (ims !== undefined && (method === 'GET' || method === 'HEAD') && lastModified <= ims)
      return { kind: 'not-modified' };
  }

  const range = normaliseRange(header(headers, 'range'), v.size);
  if (range === undefined) return { kind: 'serve' };

  const ifRange = header(headers, 'if-range')?.trim();
  if (ifRange !== undefined) {
    const fresh =
      ifRange.startsWith('"') || ifRange.startsWith('W/')
        ? strongMatch(ifRange, v.etag)
        : parseHttpDate(ifRange) === lastModified;
    // A stale validator means "the copy I have changed": send the whole current file instead.
    if (!fresh) return { kind: 'serve' };
  }
  return { kind: 'serve', range };
}
