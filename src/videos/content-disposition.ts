import { EXTENSION_BY_TYPE } from './video-signature';

const MAX_NAME = 100;

/** Strips what never belongs in a file name, then leading/trailing dots and spaces. */
function tidy(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '')
    .slice(0, MAX_NAME)
    .replace(/[\s.]+$/, '');
}

/**
 * `inline` Content-Disposition built from a user-chosen title. The plain `filename` is reduced to
 * a safe ASCII subset (no quotes, slashes, control characters, so no header injection or path
 * tricks in the client's save dialog); the full title travels in `filename*` (RFC 8187
 * percent-encoding) for clients that understand it.
 */
export function inlineDisposition(title: string, contentType: string): string {
  const ext = EXTENSION_BY_TYPE[contentType] ?? 'bin';
  const ascii = tidy(title.normalize('NFKD').replace(/[^A-Za-z0-9 ._-]+/g, '')) || 'video';
  // eslint-disable-next-line no-control-regex
  const full = tidy(title.replace(/[\u0000-\u001f\u007f/\\]+/g, ' ')) || 'video';
  const extended = encodeURIComponent(`${full}.${ext}`).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `inline; filename="${ascii}.${ext}"; filename*=UTF-8''${extended}`;
}
