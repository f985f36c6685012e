import type { FastifyMultipartBaseOptions } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import {
  DomainError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from '../common/errors';
import type { AppConfig } from '../config/app-config';
import type { UploadPart } from './videos.service';

/** Room for boundaries, part headers and the title around the file in a declared Content-Length. */
export const MULTIPART_ENVELOPE_BYTES = 64 * 1024;

/** Busboy limits for uploads: one file up to MAX_UPLOAD_BYTES, a handful of small fields. */
export function uploadLimits(
  config: AppConfig,
): NonNullable<FastifyMultipartBaseOptions['limits']> {
  return {
    fileSize: config.maxUploadBytes,
    files: 1,
    // A few more fields than we accept, so an unknown field gets a clear 400 naming it.
    fields: 4,
    parts: 6,
    fieldSize: 4096,
    fieldNameSize: 100,
    headerPairs: 20,
  };
}

/** Options for registering @fastify/multipart on the app (see bootstrap.ts). */
export function multipartOptions(config: AppConfig): FastifyMultipartBaseOptions {
  return { limits: uploadLimits(config), throwFileSizeLimit: true };
}

/**
 * Adapts a Fastify multipart request to transport-neutral upload parts. Nothing is buffered: the
 * file part is handed on as the live stream from the socket.
 */
export async function* uploadParts(
  req: FastifyRequest,
  config: AppConfig,
): AsyncGenerator<UploadPart> {
  if (!req.isMultipart())
    throw new UnsupportedMediaTypeError(
      'Send the upload as multipart/form-data with a "file" part and a "title" field',
    );
  const declared = Number(req.headers['content-length']);
  // Refuse a body that says up front it is too big, before reading a byte of it.
  if (Number.isFinite(declared) && declared > config.maxUploadBytes + MULTIPART_ENVELOPE_BYTES) {
    throw new PayloadTooLargeError(
      `file is larger than the upload limit of ${config.maxUploadBytes} bytes`,
    );
  }
  try {
    for await (const part of req.parts({ limits: uploadLimits(config) })) {
      if (part.type === 'field') {
        if (typeof part.value !== 'string')
          throw new ValidationFailedError([`${part.fieldname} must be a plain text field`]);
        yield {
          kind: 'field',
          name: part.fieldname,
          value: part.value,
          truncated: part.valueTruncated || part.fieldnameTruncated,
        };
        continue;
      }
      const file = part.file;
      // Busboy only truncates at the limit and keeps reading; fail the write at once instead.
      file.once('limit', () =>
        file.destroy(
          new PayloadTooLargeError(
            `file is larger than the upload limit of ${config.maxUploadBytes} bytes`,
          ),
        ),
      );
      yield { kind: 'file', name: part.fieldname, mediaType: part.mimetype, stream: file };
    }
  } catch (err) {
    throw toUploadError(err);
  }
}

const BUSBOY_MESSAGES =
  /Unexpected end of (form|multipart data)|Malformed|Boundary not found|Part terminated early|Unsupported content type/i;

/**
 * Turns multipart/socket failures into contract errors. A client that disconnects mid-upload
 * never sees the answer, but logs and http_requests_total should say 400, not 500.
 */
export function toUploadError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new PayloadTooLargeError('file is larger than the upload limit');
    case 'FST_FILES_LIMIT':
      return new ValidationFailedError(['only one file may be uploaded']);
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ValidationFailedError(['too many form fields: send only "file" and "title"']);
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return new ValidationFailedError(['a form field is not acceptable']);
    case 'FST_MP_PREMATURE_CLOSE':
    case 'ECONNRESET':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return new ValidationFailedError(['the upload was interrupted before it was complete']);
    default:
      if (BUSBOY_MESSAGES.test(err.message) || err.message === 'aborted')
        return new ValidationFailedError(['the multipart body is malformed or incomplete']);
      return err;
  }
}
