import { HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** The contract's error shape (CONTRACT.md, Conventions). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  code: string;
  requestId: string;
}

const REASONS = new Map<number, string>();

/** "Not Found", "Payload Too Large", … (memoised: the same few statuses recur). */
export function reasonPhrase(status: number): string {
  let r = REASONS.get(status);
  if (r === undefined) {
    const name = HttpStatus[status] as string | undefined;
    r = name
      ? name
          .split('_')
          .map((w) => w.charAt(0) + w.slice(1).toLowerCase())
          .join(' ')
          .replace('Uri', 'URI')
      : 'Error';
    REASONS.set(status, r);
  }
  return r;
}

/**
 * The one builder of error bodies: the global exception filter and the answers given before
 * Nest sees a request (request pipeline hooks, the video responder's 412) all go through it.
 */
export function errorBody(
  status: number,
  code: string,
  message: string | string[],
  requestId: string,
): ErrorBody {
  return { statusCode: status, error: reasonPhrase(status), message, code, requestId };
}

/** Answers a Fastify request with an error in the contract's shape. */
export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string | string[],
): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(errorBody(status, code, message, String(reply.request.id)));
}
