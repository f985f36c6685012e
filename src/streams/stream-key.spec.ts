import { createHash } from 'node:crypto';
import { generateStreamKey, hashStreamKey, streamKeyMatches } from './stream-key';

describe('stream keys', () => {
  it('are 32 random bytes in url-safe base64 and never repeat', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateStreamKey()));
    expect(keys.size).toBe(1000);
    for (const k of keys) {
      expect(k).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(k, 'base64url')).toHaveLength(32);
    }
  });

  it('are stored as SHA-256 hex only', () => {
    const key = generateStreamKey();
    const hash = hashStreamKey(key);
    expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(key);
  });

  it('match only the exact key', () => {
    const key = generateStreamKey();
    const hash = hashStreamKey(key);
    expect(streamKeyMatches(key, hash)).toBe(true);
    for (const other of [
      '',
      key.slice(0, -1),
      `${key} `,
      key.toUpperCase(),
      generateStreamKey(),
      'x'.repeat(100_000),
    ]) {
      expect(streamKeyMatches(other, hash)).toBe(false);
    }
  });

  it('never match a malformed stored hash', () => {
    const key = generateStreamKey();
    for (const stored of [
      '',
      'zz',
      hashStreamKey(key).slice(0, 63),
      `${hashStreamKey(key).slice(0, 62)}zz`,
      hashStreamKey(key) + '00',
    ]) {
      expect(streamKeyMatches(key, stored)).toBe(false);
    }
  });
});
