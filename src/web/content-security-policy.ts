/**
 * The pages' Content-Security-Policy: everything from this origin, plus what the player needs —
 * MediaSource blobs for hls.js and the media server's origin, where playlists and segments
 * live (HLS_BASE_URL; native HLS in Safari loads it as the video's own source).
 */
export function contentSecurityPolicy(hlsBaseUrl: string, opts: { embeddable: boolean }): string {
  const media = new URL(hlsBaseUrl).origin;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `media-src 'self' blob: ${media}`,
    `connect-src 'self' ${media}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    // The chat embed is meant to be framed (OBS docks, stream overlays); the rest is not.
    opts.embeddable ? 'frame-ancestors *' : "frame-ancestors 'self'",
  ].join('; ');
}
