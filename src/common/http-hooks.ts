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
  return p.toLowerCase().replace(/\/{2,}/g, '/').replace(/(\/\.)+(\/|$)/g, '/').replace(/\/+$/, '') || '/';
}

/**
 * Cross-cutting Fastify hooks: request-id context, the metrics bearer check, HTTP metrics
 * (route template or "unmatched", never the raw path) and one JSON access-log line per request.
 */
export function installHttpHooks(app: FastifyInstance, config: AppConfig, metrics: MetricsService, log: Logger): void {
  const metricsToken = config.metricsToken;

  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    req.startedAt = process.hrtime.bigint();
    metrics.httpStarted();
    void reply.header('X-Request-Id', req.id);
    requestContext.enterWith({ requestId: String(req.id) });
    if (metricsToken !== undefined && canonicalPath(req.url).startsWith('/metrics')) {
      const h = req.headers.authorization ?? '';
      const ok = h.startsWith('Bearer ') && safeEqual(h.slice(7).trim(), metricsToken);
      if (!ok) {
        void reply
          .status(401)
          .header('WWW-Authenticate', 'Bearer realm="metrics"')
          .send({ statusCode: 401, error: 'Unauthorized', message: 'A valid metrics token is required', code: 'UNAUTHORIZED', requestId: String(req.id) });
        return;
      }
    }
    done();
  });

  app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    const seconds = req.startedAt ? Number(process.hrtime.bigint() - req.startedAt) / 1e9 : 0;
    // A 404 from the not-found handler has no route template: count it as "unmatched".
    const label = reply.statusCode === 404 && (route === '*' || route === '/*') ? 'unmatched' : route;
    metrics.httpFinished(req.method, label, reply.statusCode, seconds);
    const line = { requestId: String(req.id), method: req.method, route: label, path: (req.url.split('?')[0] ?? '').slice(0, 200), statusCode: reply.statusCode, ms: Math.round(seconds * 1e5) / 100 };
    if (reply.statusCode >= 500) log.error(line, 'request failed');
    else log.info(line, 'request completed');
    done();
  });
}
