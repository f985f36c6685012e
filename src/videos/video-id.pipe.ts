import { Injectable, PipeTransform } from '@nestjs/common';
import { NotFoundError } from '../common/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Path ids of videos. Anything that is not a UUID (including `..%2f…`, absolute paths and dot
 * files) names no video: 404 in the contract shape, and it never gets near the file system.
 * Lower-cased, because ids are stored lower-case and SQLite compares text exactly.
 */
@Injectable()
export class VideoIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw new NotFoundError('Video');
    return value.toLowerCase();
  }
}
