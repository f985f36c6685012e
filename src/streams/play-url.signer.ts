import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../common/safe-equal';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

export type PlayCheck = 'ok' | 'expired' | 'invalid';

/** A playback session as it travels in play URLs: `?sid=…&exp=…&sig=…`. */
export interface PlaySession {
  sid: string;
  exp: number;
  sig: string;
}

/** 16 random bytes (128 bits), base64url: 22 characters. Longer ids are accepted up to 64. */
const SID_BYTES = 16;
const SID = /^[A-Za-z0-9_-]{22,64}$/;
const EXP = /^\d{1,12}$/;
const SIG = /^[A-Za-z0-9_-]{43}$/; // base64url of 32 bytes, unpadded

/** HMAC-SHA256 over `<streamId>:<sid>:<exp>`, base64url (CONTRACT: play URLs). */
export function playSignature(secret: string, streamId: string, sid: string, exp: number): string {
  return createHmac('sha256', secret).update(`${streamId}:${sid}:${exp}`).digest('base64url');
}

/** A fresh session id: ≥ 128 random bits, url-safe. */
export function newSessionId(): string {
  return randomBytes(SID_BYTES).toString('base64url');
}

/**
 * Checks a session signature in constant time. `nowSec` undefined skips the expiry check
 * (used for play_done: a viewer whose URL expired while watching still leaves). The 0.1 form
 * (`exp` and `sig` without `sid`) can never verify: the signed text has changed.
 */
export function checkPlaySignature(
  secret: string,
  streamId: string,
  sid: string | null,
  exp: string | null,
  sig: string | null,
  nowSec: number | undefined,
): PlayCheck {
  if (
    sid === null ||
    exp === null ||
    sig === null ||
    !SID.test(sid) ||
    !EXP.test(exp) ||
    !SIG.test(sig)
  )
    return 'invalid';
  // Compare the canonical text, not decoded bytes: base64url ignores the low bits of the
  // last character, so decoding would accept several spellings of one signature.
  if (!safeEqual(sig, playSignature(secret, streamId, sid, Number(exp)))) return 'invalid';
  if (nowSec !== undefined && Number(exp) <= nowSec) return 'expired';
  return 'ok';
}

/** Signs and verifies playback sessions with PLAY_URL_SECRET; lifetime PLAY_URL_TTL_SEC. */
@Injectable()
export class PlayUrlSigner {
  private readonly secret: string;
  private readonly ttlSec: number;

  constructor(@InjectConfig() config: AppConfig) {
    this.secret = config.playUrl.secret;
    this.ttlSec = config.playUrl.ttlSec;
  }

  /** A new session for one player of `streamId`. */
  issue(streamId: string, nowMs = Date.now()): PlaySession {
    const sid = newSessionId();
    const exp = Math.floor(nowMs / 1000) + this.ttlSec;
    return { sid, exp, sig: playSignature(this.secret, streamId, sid, exp) };
  }

  verify(
    streamId: string,
    sid: string | null,
    exp: string | null,
    sig: string | null,
    nowMs = Date.now(),
  ): PlayCheck {
    return checkPlaySignature(this.secret, streamId, sid, exp, sig, Math.floor(nowMs / 1000));
  }

  /** Genuine signature, expired or not. */
  isGenuine(streamId: string, sid: string | null, exp: string | null, sig: string | null): boolean {
    return checkPlaySignature(this.secret, streamId, sid, exp, sig, undefined) === 'ok';
  }
}
