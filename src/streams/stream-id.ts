import { PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from '../common/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An id (stream, room, user) as the database stores it: lower-case UUID, or null for anything else.
 * Lower-casing matters: PostgreSQL compares uuids case-insensitively, SQLite compares text
 * exactly, and the view cache is keyed by id; without it the two modes would disagree.
 */
export function normalizeUuid(raw: unknown): string | null {
  return typeof raw === 'string' && raw.length === 36 && UUID.test(raw) ? raw.toLowerCase() : null;
}

/** Path `:id` → normalized UUID, or 400 VALIDATION_FAILED (never a query with a non-uuid, never a 500). */
export class StreamIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    const id = normalizeUuid(value);
    if (id === null) throw new ValidationFailedError('id must be a UUID');
    return id;
  }
}
