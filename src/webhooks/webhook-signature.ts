import { createHmac, randomBytes } from 'node:crypto';

/** A new signing secret: 32 random bytes, url-safe, with a prefix that makes leaks easy to grep for. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `OnAir-Signature` header value: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>. */
export function signWebhook(secret: string, body: string, unixSec: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSec}.${body}`).digest('hex');
  return `t=${unixSec},v1=${v1}`;
}
