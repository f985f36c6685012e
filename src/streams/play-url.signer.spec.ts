import { createHmac } from 'node:crypto';
import { fakeConfig } from '../../test/helpers/fakes';
import { checkPlaySignature, playSignature, PlayUrlSigner } from './play-url.signer';

const SECRET = 'play-secret-for-unit-tests-0123456789';
const ID = '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b';
const signer = new PlayUrlSigner(
  fakeConfig({ playUrl: { secret: SECRET, ttlSec: 3600, generated: false } }),
);

describe('PlayUrlSigner', () => {
  it('issues a session: 128-bit url-safe sid, exp after the TTL, HMAC-SHA256 over <streamId>:<sid>:<exp>', () => {
    const now = Date.UTC(2026, 10, 21, 12, 0, 0);
    const { sid, exp, sig } = signer.issue(ID, now);
    expect(sid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(sid, 'base64url')).toHaveLength(16);
    expect(exp).toBe(now / 1000 + 3600);
    expect(sig).toBe(
      createHmac('sha256', SECRET).update(`${ID}:${sid}:${exp}`).digest('base64url'),
    );
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives every player its own session id', () => {
    const sids = new Set(Array.from({ length: 1000 }, () => signer.issue(ID).sid));
    expect(sids.size).toBe(1000);
  });

  it('accepts its own signature until exp, then reports it expired', () => {
    const now = Date.now();
    const { sid, exp, sig } = signer.issue(ID, now);
    expect(signer.verify(ID, sid, String(exp), sig, now)).toBe('ok');
    expect(signer.verify(ID, sid, String(exp), sig, exp * 1000 - 1)).toBe('ok');
    expect(signer.verify(ID, sid, String(exp), sig, exp * 1000)).toBe('expired');
    expect(signer.isGenuine(ID, sid, String(exp), sig)).toBe(true);
  });

  it('refuses the 0.1 form signed over <streamId>:<exp> (no session)', () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const old = createHmac('sha256', SECRET).update(`${ID}:${exp}`).digest('base64url');
    expect(signer.verify(ID, null, String(exp), old)).toBe('invalid');
    const { sid } = signer.issue(ID);
    expect(signer.verify(ID, sid, String(exp), old)).toBe('invalid');
  });

  it('refuses a signature for another stream, session, exp, secret, or any altered character', () => {
    const { sid, exp, sig } = signer.issue(ID);
    const e = String(exp);
    expect(signer.verify('2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5c', sid, e, sig)).toBe('invalid');
    expect(signer.verify(ID, signer.issue(ID).sid, e, sig)).toBe('invalid');
    expect(signer.verify(ID, sid, String(exp + 1), sig)).toBe('invalid');
    expect(
      signer.verify(ID, sid, e, playSignature('some-other-secret-0123456789abcdef', ID, sid, exp)),
    ).toBe('invalid');
    // Every single-character change is refused, including the last one whose low bits base64url ignores.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < sig.length; i++) {
      for (const c of alphabet) {
        if (c === sig[i]) continue;
        const forged = sig.slice(0, i) + c + sig.slice(i + 1);
        expect(signer.verify(ID, sid, e, forged)).toBe('invalid');
      }
    }
  });

  it('refuses malformed input without throwing', () => {
    const { sid, exp, sig } = signer.issue(ID);
    for (const [s, e, g] of [
      [null, String(exp), sig],
      ['', String(exp), sig],
      ['short', String(exp), sig],
      [`${sid}!`, String(exp), sig],
      ['x'.repeat(65), String(exp), sig],
      [sid, null, sig],
      [sid, String(exp), null],
      [sid, '', sig],
      [sid, '-1', sig],
      [sid, '1e10', sig],
      [sid, `${exp}.5`, sig],
      [sid, '9'.repeat(13), sig],
      [sid, String(exp), `${sig}=`],
      [sid, String(exp), sig.slice(1)],
      [sid, String(exp), `${sig}A`],
      [sid, String(exp), sig.replace(/./, '+')],
      [sid, String(exp), 'x'.repeat(10000)],
    ] as const) {
      expect(checkPlaySignature(SECRET, ID, s, e, g, 0)).toBe('invalid');
    }
  });
});
