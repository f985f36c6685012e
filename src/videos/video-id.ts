import { NotFoundError } from '../common/errors';
import { ParseUuidPipe } from '../common/uuid.pipe';

/**
 * Path ids of videos. Anything that is not a UUID (including `..%2f…`, absolute paths and dot
 * files) names no video: 404 in the contract shape, and it never gets near the file system.
 */
export const videoIdPipe = new ParseUuidPipe('id', () => new NotFoundError('Video'));
