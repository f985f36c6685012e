import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config';
import type { MetricsService } from '../metrics/metrics.service';
import { requestContext } from './request-context';

declare module 'fastify' {
  interface FastifyRequest {
    startedAt?: bigint;
  }
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

const HLS_CHECK_ROUTE = '/api/v1/hooks/hls';

/** Deepest JSON nesting any endpoint accepts (our DTOs need 4; Alertmanager payloads about 4). */
export const MAX_JSON_DEPTH = 32;

/** Iterative (a recursive check would overflow on exactly the input it guards against). */
export function nestingExceeds(root: object, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (depth > maxDepth) return true;
    const children = Array.isArray(v)
      ? (v as unknown[])
      : Object.values(v as Record<string, unknown>);
    for (const c of children) if (c !== null && typeof c === 'object') stack.push([c, depth + 1]);
  }
  return false;
}

/** Normalises a path the way a sloppy client or a scanner might spell it (for the /metrics check). */
function canonicalPath(url: string): string {
  let p = url.split('?')[0] ?? '';
  for (let i = 0; i < 3; i++) {
    try {
      const d = decodeURIComponent(p);
      if (d === p) break;
      p = d;
    } catch {
      break;
    }
  }
  // Resolve "." and ".." the way a proxy in front of us would before forwarding.
  const segments: string[] = [];
  for (const seg of p.toLowerCase().replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  return '/' + segments.join('/');
}

/**
 * Cross-cutting Fastify hooks: request-id context, the metrics bearer check, HTTP metrics
 * (route template or "unmatched", never the raw path) and one JSON access-log line per request.
 */
export function installHttpHooks(
  app: FastifyInstance,
  config: AppConfig,
  metrics: MetricsService,
  log: Logger,
  isDraining: () => boolean = () => false,
): void {
  const metricsToken = config.metricsToken;

  app.addHook(
    'onRequest',
    (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      req.startedAt = process.hrtime.bigint();
      metrics.httpStarted();
      void reply.header('X-Request-Id', req.id);
      // Shutting down: serve this request, then end its keep-alive connection. A client (or a
      // proxy's upstream pool) that keeps sending on one connection would otherwise hold the
      // process open until the shutdown timeout.
      if (isDraining()) void reply.header('Connection', 'close');
      requestContext.enterWith({ requestId: String(req.id) });
      if (metricsToken !== undefined && canonicalPath(req.url).startsWith('/metrics')) {
        const h = req.headers.authorization ?? '';
        // The auth scheme is case-insensitive (RFC 9110); the token itself is compared in constant time.
        const ok = /^bearer /i.test(h) && safeEqual(h.slice(7).trim(), metricsToken);
        if (!ok) {
          void reply
            .status(401)
            .header('WWW-Authenticate', 'Bearer realm="metrics"')
            .send({
              statusCode: 401,
              error: 'Unauthorized',
              message: 'A valid metrics token is required',
              code: 'UNAUTHORIZED',
              requestId: String(req.id),
            });
          return;
        }
      }
      done();
    },
  );

  // Validation and class-transformer walk bodies recursively: a deeply nested JSON body (cheap to
  // send, well under the size limit) would overflow the stack there and become a 500. Refuse it
  // here, before anything recursive touches it.
  app.addHook(
    'preValidation',
    (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
      if (
        req.body !== null &&
        typeof req.body === 'object' &&
        nestingExceeds(req.body, MAX_JSON_DEPTH)
      ) {
        void reply
          .status(400)
          .header('content-type', 'application/json; charset=utf-8')
          .send({
            statusCode: 400,
            error: 'Bad Request',
            message: `JSON nesting is too deep (at most ${MAX_JSON_DEPTH} levels)`,
            code: 'VALIDATION_FAILED',
            requestId: String(req.id),
          });
        return;
      }
      done();
    },
  );

  app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    const seconds = req.startedAt ? Number(process.hrtime.bigint() - req.startedAt) / 1e9 : 0;
    // A 404 from the not-found handler has no route template: count it as "unmatched".
    const label =
      reply.statusCode === 404 && (route === '*' || route === '/*') ? 'unmatched' : route;
    metrics.httpFinished(req.method, label, reply.statusCode, seconds);
    const line = {
      requestId: String(req.id),
      method: req.method,
      route: label,
      path: (req.url.split('?')[0] ?? '').slice(0, 200),
      statusCode: reply.statusCode,
      ms: Math.round(seconds * 1e5) / 100,
    };
    if (reply.statusCode >= 500) log.error(line, 'request failed');
    // The HLS check answers every playlist and segment request of every viewer: at info level
    // it would be most of the log. Its outcome is in playback_checks_total.
    else if (label === HLS_CHECK_ROUTE) log.debug(line, 'request completed');
    else log.info(line, 'request completed');
    done();
  });
}
