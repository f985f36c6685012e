import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface RequestStore {
  requestId: string;
}

/**
 * The request a log line belongs to. Entered once per request by the HTTP server's request
 * listener (withRequestContext), around everything Fastify and Nest then do for it.
 */
export const requestContext = new AsyncLocalStorage<RequestStore>();

export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echo a client's X-Request-Id when it is a sane token; otherwise make one. */
export function pickRequestId(header: string | string[] | undefined): string {
  const v = Array.isArray(header) ? header[0] : header;
  return v !== undefined && SANE_ID.test(v) ? v : randomUUID();
}

const REQUEST_ID = Symbol('onair.requestId');
type Tagged = IncomingMessage & { [REQUEST_ID]?: string };

/**
 * Wraps the HTTP server's request listener: the id is picked and the context entered once, by
 * run() around the whole request, instead of an enterWith() from a hook (which also re-entered
 * the context of whatever ran last on the connection).
 */
export function withRequestContext(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = pickRequestId(req.headers['x-request-id']);
    (req as Tagged)[REQUEST_ID] = requestId;
    requestContext.run({ requestId }, handler, req, res);
  };
}

/** Fastify's genReqId: the id withRequestContext picked (or a fresh pick outside it). */
export function requestIdOf(req: IncomingMessage): string {
  return (req as Tagged)[REQUEST_ID] ?? pickRequestId(req.headers['x-request-id']);
}
