import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes → 43 url-safe characters (fits an RTMP query string without escaping). */
export function generateStreamKey(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored: SHA-256 hex. A fast hash is enough because the key is 256 random bits. */
export function hashStreamKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented key with the stored hash. */
export function streamKeyMatches(key: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(key, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'hex');
  // Two fixed 32-byte digests on purpose (not safeEqual on hex text: stored hex may be upper-case).
  // Buffer.from(hex) silently stops at the first bad character: a malformed stored value
  // has the wrong length and never matches.
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
