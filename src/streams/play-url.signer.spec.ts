import { createHmac } from 'node:crypto';
import type { AppConfig } from '../config/app-config';
import { checkPlaySignature, playSignature, PlayUrlSigner } from './play-url.signer';

const SECRET = 'play-secret-for-unit-tests-0123456789';
const ID = '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b';
const signer = new PlayUrlSigner({
  playUrl: { secret: SECRET, ttlSec: 3600, generated: false },
} as AppConfig);

describe('PlayUrlSigner', () => {
  it('signs <streamId>:<exp> with HMAC-SHA256, base64url, expiring after the TTL', () => {
    const now = Date.UTC(2026, 10, 21, 12, 0, 0);
    const { exp, sig } = signer.sign(ID, now);
    expect(exp).toBe(now / 1000 + 3600);
    expect(sig).toBe(createHmac('sha256', SECRET).update(`${ID}:${exp}`).digest('base64url'));
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts its own signature until exp, then reports it expired', () => {
    const now = Date.now();
    const { exp, sig } = signer.sign(ID, now);
    expect(signer.verify(ID, String(exp), sig, now)).toBe('ok');
    expect(signer.verify(ID, String(exp), sig, exp * 1000 - 1)).toBe('ok');
    expect(signer.verify(ID, String(exp), sig, exp * 1000)).toBe('expired');
    expect(signer.isGenuine(ID, String(exp), sig)).toBe(true);
  });

  it('refuses a signature for another stream, another exp, another secret, or any altered character', () => {
    const { exp, sig } = signer.sign(ID);
    const e = String(exp);
    expect(signer.verify('2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5c', e, sig)).toBe('invalid');
    expect(signer.verify(ID, String(exp + 1), sig)).toBe('invalid');
    expect(signer.verify(ID, e, playSignature('some-other-secret-0123456789abcdef', ID, exp))).toBe(
      'invalid',
    );
    // Every single-character change is refused, including the last one whose low bits base64url ignores.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < sig.length; i++) {
      for (const c of alphabet) {
        if (c === sig[i]) continue;
        const forged = sig.slice(0, i) + c + sig.slice(i + 1);
        expect(signer.verify(ID, e, forged)).toBe('invalid');
      }
    }
  });

  it('refuses malformed input without throwing', () => {
    const { exp, sig } = signer.sign(ID);
    for (const [e, s] of [
      [null, sig],
      [String(exp), null],
      ['', sig],
      ['-1', sig],
      ['1e10', sig],
      [`${exp}.5`, sig],
      ['9'.repeat(13), sig],
      [String(exp), `${sig}=`],
      [String(exp), sig.slice(1)],
      [String(exp), `${sig}A`],
      [String(exp), sig.replace(/./, '+')],
      [String(exp), 'x'.repeat(10000)],
    ] as const) {
      expect(checkPlaySignature(SECRET, ID, e, s, 0)).toBe('invalid');
    }
  });
});
