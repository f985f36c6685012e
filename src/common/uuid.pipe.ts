import { PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An id (stream, room, user, video, webhook…) as the database stores it: lower-case UUID, or null
 * for anything else. Lower-casing matters: PostgreSQL compares uuids case-insensitively, SQLite
 * compares text exactly, and caches are keyed by id; without it the two modes would disagree.
 */
export function parseUuid(raw: unknown): string | null {
  return typeof raw === 'string' && raw.length === 36 && UUID.test(raw) ? raw.toLowerCase() : null;
}

/**
 * Path id → normalized UUID. A malformed one never reaches a query: by default it is a 400
 * VALIDATION_FAILED `<name> must be a UUID`; a feature whose contract answers otherwise (videos: 404)
 * passes its own error.
 */
export class ParseUuidPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly name = 'id',
    private readonly invalid: () => Error = () =>
      new ValidationFailedError(`${name} must be a UUID`),
  ) {}

  transform(value: unknown): string {
    const id = parseUuid(value);
    if (id === null) throw this.invalid();
    return id;
  }
}
