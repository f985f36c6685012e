import fastifyCors, { FastifyCorsOptions } from '@fastify/cors';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';

type OnRequest = (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * CORS with @fastify/cors, run only for requests that carry an `Origin` header. Browsers send it
 * on every cross-origin request (and preflight); a request without it is not a CORS request and
 * gets no CORS headers, only `Vary: Origin` so that a shared cache keeps the two apart. Before
 * this, every request (media-server hooks, HLS checks, players' heartbeats) paid the plugin's
 * per-request option merge and four response headers (bench F10).
 *
 * The plugin is given a view of the app whose `addHook('onRequest')` hands its hook to us;
 * everything else it does (the `OPTIONS *` preflight route, request decoration) goes to the app.
 * (Nest's enableCors also copies the headers to the raw response, for Nest middleware that
 * answers on it; OnAir has none, every answer goes through Fastify's reply.)
 */
export async function registerCors(
  app: FastifyInstance,
  options: FastifyCorsOptions,
): Promise<void> {
  let corsHook: OnRequest | undefined;
  const view: FastifyInstance = new Proxy(app, {
    get(target, prop) {
      if (prop === 'addHook')
        return (name: string, fn: OnRequest) => {
          if (name === 'onRequest' && corsHook === undefined) corsHook = fn;
          else (target.addHook as (n: string, f: OnRequest) => unknown)(name, fn);
          return view;
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  await new Promise<void>((resolve, reject) =>
    (
      fastifyCors as unknown as (
        i: FastifyInstance,
        o: FastifyCorsOptions,
        cb: (err?: Error) => void,
      ) => void
    )(view, options, (err) => (err ? reject(err) : resolve())),
  );
  const hook = corsHook;
  if (hook === undefined) throw new Error('@fastify/cors added no onRequest hook');
  app.addHook('onRequest', (req, reply, done) => {
    if (req.headers.origin === undefined) {
      void reply.header('vary', 'Origin');
      return done();
    }
    hook.call(app, req, reply, done);
  });
}
