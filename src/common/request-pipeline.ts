import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import type { MetricsService } from '../metrics/metrics.service';
import { sendError } from './error-body';
import type { AccessLog } from './logger';
import { safeEqual } from './safe-equal';

declare module 'fastify' {
  interface FastifyRequest {
    startedAt?: bigint;
  }
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
 * What every HTTP request goes through at the Fastify level, before and after Nest's router:
 * the request id, the metrics bearer check, the JSON nesting limit, the RED metrics (route
 * template or "unmatched", never the raw path) and one JSON access-log line per request.
 * Fastify-level hooks (not a Nest interceptor) so 404s, 413s and guard rejections are counted
 * and logged too.
 */
export function installRequestPipeline(
  app: FastifyInstance,
  config: AppConfig,
  metrics: MetricsService,
  access: AccessLog,
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
      // The request id's log context was entered by the server's request listener
      // (withRequestContext in request-context.ts), once, before Fastify saw the request.
      if (metricsToken !== undefined && canonicalPath(req.url).startsWith('/metrics')) {
        const h = req.headers.authorization ?? '';
        // The auth scheme is case-insensitive (RFC 9110); the token itself is compared in constant time.
        const ok = /^bearer /i.test(h) && safeEqual(h.slice(7).trim(), metricsToken);
        if (!ok) {
          void sendError(
            reply.header('WWW-Authenticate', 'Bearer realm="metrics"'),
            401,
            'UNAUTHORIZED',
            'A valid metrics token is required',
          );
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
        void sendError(
          reply,
          400,
          'VALIDATION_FAILED',
          `JSON nesting is too deep (at most ${MAX_JSON_DEPTH} levels)`,
        );
        return;
      }
      done();
    },
  );

  app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const statusCode = reply.statusCode;
    let route = req.routeOptions.url ?? 'unmatched';
    // A 404 from the not-found handler has no route template: count it as "unmatched".
    if (statusCode === 404 && (route === '*' || route === '/*')) route = 'unmatched';
    const seconds = req.startedAt ? Number(process.hrtime.bigint() - req.startedAt) / 1e9 : 0;
    metrics.httpFinished(req.method, route, statusCode, seconds);
    const url = req.url;
    const q = url.indexOf('?');
    const line = {
      requestId: req.id,
      method: req.method,
      route,
      path: (q === -1 ? url : url.slice(0, q)).slice(0, 200),
      statusCode,
      ms: Math.round(seconds * 1e5) / 100,
    };
    // The HLS check answers every playlist and segment request of every viewer: at info level it
    // would be most of the log. Its outcome is in playback_checks_total.
    access.write(statusCode >= 500 ? 'error' : route === HLS_CHECK_ROUTE ? 'debug' : 'info', line);
    done();
  });
}
