import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { createApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';
import { LifecycleService } from './lifecycle/lifecycle.service';

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const { app, log, loggers } = await createApp(config);
  for (const [name, s] of [
    ['JWT_SECRET', config.jwt],
    ['HOOK_SECRET', config.hooks],
    ['PLAY_URL_SECRET', config.playUrl],
  ] as const) {
    if (s.generated)
      log.warn(
        `${name} is not set: using a random per-process value (tokens/signatures will not survive a restart or work across replicas)`,
      );
  }

  const lifecycle = app.get(LifecycleService);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Shutting down: draining requests and sockets');
    const force = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, 'Shutdown timed out; exiting');
      loggers.flushSync();
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    void (async () => {
      try {
        // Readiness turns 503 now (beginDrain flips the flag before anything else)...
        const drained = lifecycle.beginDrain();
        // ...and no new connection is accepted from this moment: stop listening and close idle
        // keep-alive connections. Requests in flight (and on busy keep-alive connections, which
        // now get Connection: close) finish; sockets are drained by the gateway.
        app.getHttpServer().close();
        await drained;
        await app.close();
        log.info('Shutdown complete');
        loggers.flushSync();
        clearTimeout(force);
        process.exit(0);
      } catch (err) {
        log.error({ err }, 'Shutdown failed');
        loggers.flushSync();
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  const url = await app.getUrl();
  log.info(
    {
      url,
      mode: { database: config.database.mode, redis: config.redis.url ? 'redis' : 'memory' },
      docs: `${url.replace('[::1]', 'localhost')}/docs`,
    },
    'OnAir is listening',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `OnAir failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
