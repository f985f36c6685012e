import { evaluatePreconditions, httpDate, normaliseRange } from './http-preconditions';

const etag = '"' + 'a'.repeat(64) + '"';
const lastModified = new Date('2026-11-21T12:00:00.789Z');
const v = { etag, lastModified, size: 1000 };
const lm = httpDate(lastModified);

describe('normaliseRange', () => {
  it('accepts the three single-range forms', () => {
    expect(normaliseRange('bytes=0-99', 1000)).toBe('bytes=0-99');
    expect(normaliseRange('bytes=500-', 1000)).toBe('bytes=500-');
    expect(normaliseRange('bytes=-100', 1000)).toBe('bytes=-100');
    expect(normaliseRange('Bytes = 1-2', 1000)).toBe('bytes=1-2');
  });

  it('turns a suffix longer than the file into the whole file (RFC 9110 §14.1.2)', () => {
    expect(normaliseRange('bytes=-5000', 1000)).toBe('bytes=0-');
    expect(normaliseRange('bytes=-0', 1000)).toBe('bytes=-0');
  });

  it('ignores malformed headers (the whole file is sent)', () => {
    for (const h of [
      'bytes=',
      'bytes=-',
      'bytes=abc',
      'bytes=1-2-3',
      'bytes=5-3',
      'items=0-1',
      'bytes 0-1',
      'bytes=0x10-',
      'bytes=1e3-',
      'bytes=0-1,',
      'bytes=' + '0-1,'.repeat(40) + '0-1',
      'x'.repeat(2000),
    ]) {
      expect({ h, r: normaliseRange(h, 1000) }).toEqual({ h, r: undefined });
    }
  });

  it('keeps multiple ranges (send answers them with the whole file)', () => {
    expect(normaliseRange('bytes=0-1, 5-6', 1000)).toBe('bytes=0-1,5-6');
  });

  it('keeps offsets beyond 2^31 exact', () => {
    expect(normaliseRange('bytes=3221225000-3221225471', 3221225472)).toBe(
      'bytes=3221225000-3221225471',
    );
  });
});

describe('evaluatePreconditions', () => {
  it('serves the range when there is no condition', () => {
    expect(evaluatePreconditions('GET', { range: 'bytes=0-9' }, v)).toEqual({
      kind: 'serve',
      range: 'bytes=0-9',
    });
    expect(evaluatePreconditions('GET', {}, v)).toEqual({ kind: 'serve' });
  });

  it('answers 304 for a matching If-None-Match (weak comparison, lists, *)', () => {
    expect(evaluatePreconditions('GET', { 'if-none-match': etag }, v).kind).toBe('not-modified');
    expect(evaluatePreconditions('GET', { 'if-none-match': `"x", W/${etag}` }, v).kind).toBe(
      'not-modified',
    );
    expect(evaluatePreconditions('HEAD', { 'if-none-match': '*' }, v).kind).toBe('not-modified');
    expect(evaluatePreconditions('GET', { 'if-none-match': '"other"' }, v).kind).toBe('serve');
  });

  it('uses If-Modified-Since only without If-None-Match, at second precision', () => {
    expect(evaluatePreconditions('GET', { 'if-modified-since': lm }, v).kind).toBe('not-modified');
    expect(
      evaluatePreconditions(
        'GET',
        { 'if-modified-since': new Date(lastModified.getTime() - 1000).toUTCString() },
        v,
      ).kind,
    ).toBe('serve');
    expect(evaluatePreconditions('GET', { 'if-modified-since': 'garbage' }, v).kind).toBe('serve');
    expect(
      evaluatePreconditions('GET', { 'if-modified-since': lm, 'if-none-match': '"other"' }, v).kind,
    ).toBe('serve');
  });

  it('fails If-Match unless a strong tag matches', () => {
    expect(evaluatePreconditions('GET', { 'if-match': '"other"' }, v).kind).toBe(
      'precondition-failed',
    );
    expect(evaluatePreconditions('GET', { 'if-match': `W/${etag}` }, v).kind).toBe(
      'precondition-failed',
    );
    expect(evaluatePreconditions('GET', { 'if-match': etag }, v).kind).toBe('serve');
    expect(evaluatePreconditions('GET', { 'if-match': '*' }, v).kind).toBe('serve');
    expect(
      evaluatePreconditions(
        'GET',
        { 'if-unmodified-since': new Date(lastModified.getTime() - 5000).toUTCString() },
        v,
      ).kind,
    ).toBe('precondition-failed');
    expect(evaluatePreconditions('GET', { 'if-unmodified-since': lm }, v).kind).toBe('serve');
  });

  it('honours the range only when If-Range still matches', () => {
    const range = 'bytes=0-9';
    expect(evaluatePreconditions('GET', { range, 'if-range': etag }, v)).toEqual({
      kind: 'serve',
      range,
    });
    expect(evaluatePreconditions('GET', { range, 'if-range': '"stale"' }, v)).toEqual({
      kind: 'serve',
    });
    expect(evaluatePreconditions('GET', { range, 'if-range': `W/${etag}` }, v)).toEqual({
      kind: 'serve',
    });
    expect(evaluatePreconditions('GET', { range, 'if-range': lm }, v)).toEqual({
      kind: 'serve',
      range,
    });
    expect(
      evaluatePreconditions(
        'GET',
        { range, 'if-range': new Date(lastModified.getTime() - 60_000).toUTCString() },
        v,
      ),
    ).toEqual({ kind: 'serve' });
    expect(evaluatePreconditions('GET', { range, 'if-range': 'nonsense' }, v)).toEqual({
      kind: 'serve',
    });
  });
});
