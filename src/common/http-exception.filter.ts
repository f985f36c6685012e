import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { MetricsService } from '../metrics/metrics.service';
import { ErrorBody, errorBody, reasonPhrase } from './error-body';
import { DomainError, ErrorCode, isUnavailableError, STATUS_BY_CODE } from './errors';

export type { ErrorBody };

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * The one place that turns any error into the contract's error shape. Unknown errors become
 * a bare 500 (logged with their stack, never shown to the client).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  constructor(private readonly metrics: MetricsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    this.reply(host.switchToHttp().getResponse<FastifyReply>(), exception);
  }

  /** Answers with `exception` in the contract's shape (also what the plain Fastify routes use). */
  reply(reply: FastifyReply, exception: unknown): void {
    const { status, body, retryAfter } = this.toBody(exception, String(reply.request.id));
    if (status === 429) this.metrics.rateLimited('http');
    if (reply.sent) return;
    if (retryAfter !== undefined) void reply.header('Retry-After', String(retryAfter));
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  toBody(
    exception: unknown,
    requestId: string,
  ): { status: number; body: ErrorBody; retryAfter?: number } {
    let status = 500;
    let code: string = 'INTERNAL';
    let message: string | string[] = 'Internal server error';
    let retryAfter: number | undefined;

    if (exception instanceof DomainError) {
      status = STATUS_BY_CODE[exception.code];
      code = exception.code;
      message = exception.details?.messages ?? exception.message;
      retryAfter = exception.details?.retryAfterSec;
    } else if (exception instanceof ThrottlerException) {
      status = 429;
      code = 'RATE_LIMITED';
      message = 'Too many requests, slow down';
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'ERROR');
      const res = exception.getResponse();
      if (typeof res === 'string') message = res;
      else if (res && typeof res === 'object' && 'message' in res) {
        const m = res.message;
        message = Array.isArray(m) ? m.map(String) : String(m);
      } else message = exception.message;
      if (status >= 500) message = reasonPhrase(status);
    } else if (isUnavailableError(exception)) {
      status = 503;
      code = 'SERVICE_UNAVAILABLE';
      message = 'Service temporarily unavailable, try again shortly';
    } else if (isFastifyClientError(exception)) {
      status = exception.statusCode;
      code = CODE_BY_STATUS[status] ?? 'BAD_REQUEST';
      message = fastifyMessage(exception);
    }

    if (status >= 500 && status !== 503) {
      this.logger.error({ err: exception, requestId }, 'Unhandled error');
      message = 'Internal server error';
      code = 'INTERNAL';
      status = 500;
    } else if (status === 503) {
      this.logger.warn(
        {
          requestId,
          err:
            exception instanceof Error
              ? { name: exception.name, message: exception.message }
              : String(exception),
        },
        'Dependency unavailable',
      );
    }
    return {
      status,
      body: errorBody(status, code, message, requestId),
      retryAfter,
    };
  }
}

interface FastifyClientError extends Error {
  statusCode: number;
  code?: string;
}

function isFastifyClientError(e: unknown): e is FastifyClientError {
  if (!(e instanceof Error)) return false;
  const s = (e as Partial<FastifyClientError>).statusCode;
  return typeof s === 'number' && s >= 400 && s < 500;
}

/** Fastify's own messages are safe but terse; give the common ones a clearer text. */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported content type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Body cannot be empty when content-type is set to application/json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'Body is not valid JSON',
};

function fastifyMessage(e: FastifyClientError): string {
  const known = e.code !== undefined ? FASTIFY_MESSAGES[e.code] : undefined;
  if (known) return known;
  if (e instanceof SyntaxError) return 'Body is not valid JSON';
  return e.message.replace(/\s+at\s.*$/s, '').slice(0, 200);
}
