import { NotFoundError, ValidationFailedError } from './errors';
import { ParseUuidPipe, parseUuid } from './uuid.pipe';

const ID = '2B7E8F3A-1C4D-4E5F-8A9B-0C1D2E3F4A5B';

describe('parseUuid', () => {
  it('returns a UUID lower-cased', () => {
    expect(parseUuid(ID)).toBe(ID.toLowerCase());
  });

  it.each([undefined, 42, '', 'abc', `${ID}x`, ` ${ID}`, '../etc/passwd', `${ID.slice(0, 35)}g`])(
    'returns null for %p',
    (raw) => {
      expect(parseUuid(raw)).toBeNull();
    },
  );
});

describe('ParseUuidPipe', () => {
  it('passes a valid id through lower-cased', () => {
    expect(new ParseUuidPipe().transform(ID)).toBe(ID.toLowerCase());
  });

  it('refuses a malformed id with a 400 naming the parameter', () => {
    expect(() => new ParseUuidPipe('userId').transform('nope')).toThrow(
      new ValidationFailedError('userId must be a UUID'),
    );
  });

  it('throws the error a feature chose for a malformed id', () => {
    expect(() => new ParseUuidPipe('id', () => new NotFoundError('Video')).transform('..')).toThrow(
      NotFoundError,
    );
  });
});
