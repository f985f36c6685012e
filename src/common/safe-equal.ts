import { timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of two secrets (the length itself is not secret). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
