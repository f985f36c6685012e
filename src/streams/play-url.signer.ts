import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

export type PlayCheck = 'ok' | 'expired' | 'invalid';

const EXP = /^\d{1,12}$/;
const SIG = /^[A-Za-z0-9_-]{43}$/; // base64url of 32 bytes, unpadded

/** HMAC-SHA256 over `<streamId>:<exp>`, base64url (CONTRACT: play URLs). */
export function playSignature(secret: string, streamId: string, exp: number): string {
  return createHmac('sha256', secret).update(`${streamId}:${exp}`).digest('base64url');
}

/**
 * Checks a play signature in constant time. `nowSec` undefined skips the expiry check
 * (used for play_done: a viewer whose URL expired while watching still leaves).
 */
export function checkPlaySignature(
  secret: string,
  streamId: string,
  exp: string | null,
  sig: string | null,
  nowSec: number | undefined,
): PlayCheck {
  if (exp === null || sig === null || !EXP.test(exp) || !SIG.test(sig)) return 'invalid';
  // Compare the canonical text, not decoded bytes: base64url ignores the low bits of the
  // last character, so decoding would accept several spellings of one signature.
  const expected = Buffer.from(playSignature(secret, streamId, Number(exp)));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
  if (nowSec !== undefined && Number(exp) <= nowSec) return 'expired';
  return 'ok';
}

/** Signs and verifies play URLs with PLAY_URL_SECRET; lifetime PLAY_URL_TTL_SEC. */
@Injectable()
export class PlayUrlSigner {
  private readonly secret: string;
  private readonly ttlSec: number;

  constructor(@InjectConfig() config: AppConfig) {
    this.secret = config.playUrl.secret;
    this.ttlSec = config.playUrl.ttlSec;
  }

  sign(streamId: string, nowMs = Date.now()): { exp: number; sig: string } {
    const exp = Math.floor(nowMs / 1000) + this.ttlSec;
    return { exp, sig: playSignature(this.secret, streamId, exp) };
  }

  verify(streamId: string, exp: string | null, sig: string | null, nowMs = Date.now()): PlayCheck {
    return checkPlaySignature(this.secret, streamId, exp, sig, Math.floor(nowMs / 1000));
  }

  /** Genuine signature, expired or not. */
  isGenuine(streamId: string, exp: string | null, sig: string | null): boolean {
    return checkPlaySignature(this.secret, streamId, exp, sig, undefined) === 'ok';
  }
}
