/**
 * Domain errors: plain Error subclasses thrown by services. The HTTP filter, the hook
 * controllers and the socket gateway each translate them; services never know which.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RANGE_NOT_SATISFIABLE'
  | 'SERVICE_UNAVAILABLE'
  | 'ROOM_CLOSED'
  | 'NOT_IN_ROOM'
  | 'BANNED'
  | 'INTERNAL';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ROOM_CLOSED: 409,
  NOT_IN_ROOM: 409,
  BANNED: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: { retryAfterSec?: number; messages?: string[] },
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends DomainError {
  constructor(message: string | string[]) {
    super(
      'VALIDATION_FAILED',
      Array.isArray(message) ? message.join('; ') : message,
      Array.isArray(message) ? { messages: message } : undefined,
    );
  }
}
export class UnauthorizedError extends DomainError {
  constructor(message = 'Unauthorized') {
    super('UNAUTHORIZED', message);
  }
}
export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}
export class NotFoundError extends DomainError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}
export class ConflictError extends DomainError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}
export class RateLimitedError extends DomainError {
  constructor(retryAfterSec: number, message = 'Too many requests, slow down') {
    super('RATE_LIMITED', message, { retryAfterSec });
  }
}
export class ServiceUnavailableError extends DomainError {
  constructor(message = 'Service temporarily unavailable, try again shortly') {
    super('SERVICE_UNAVAILABLE', message);
  }
}
export class PayloadTooLargeError extends DomainError {
  constructor(message = 'Payload too large') {
    super('PAYLOAD_TOO_LARGE', message);
  }
}
export class UnsupportedMediaTypeError extends DomainError {
  constructor(message = 'Unsupported media type') {
    super('UNSUPPORTED_MEDIA_TYPE', message);
  }
}

/** True for errors that mean "a backing store could not answer" (connection refused, timeouts, pool exhaustion). */
export function isUnavailableError(err: unknown): boolean {
  if (err instanceof ServiceUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: string; driverError?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'ENOTFOUND',
      'EHOSTUNREACH',
      '57P01',
      '57P02',
      '57P03',
      '53300',
      '08000',
      '08001',
      '08003',
      '08006',
      '57014',
      'SQLITE_BUSY',
    ].includes(code)
  ) {
    return true;
  }
  const msg = e.message ?? '';
  if (
    /timeout exceeded when trying to connect|Connection terminated|connection timeout|Stream isn't writeable|Connection is closed|Command timed out|MaxRetriesPerRequest|database system is (starting up|shutting down)|not yet connected|Driver not Connected|DataSource is not initialized|Query read timeout|canceling statement due to statement timeout|Redis is unavailable/i.test(
      msg,
    )
  ) {
    return true;
  }
  if (e.driverError && e.driverError !== err) return isUnavailableError(e.driverError);
  return false;
}

/** Rejects with ServiceUnavailableError when `p` does not settle within `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ServiceUnavailableError(`${what} did not answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
