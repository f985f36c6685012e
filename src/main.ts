import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { createApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';
import { withKeptSecrets } from './config/embedded-secrets';
import { LifecycleService } from './lifecycle/lifecycle.service';

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  let config;
  let secretsFile: string | undefined;
  try {
    ({ config, file: secretsFile } = withKeptSecrets(loadConfig()));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const { app, log } = await createApp(config);
  const kept = (
    [
      ['JWT_SECRET', config.jwt],
      ['HOOK_SECRET', config.hooks],
      ['PLAY_URL_SECRET', config.playUrl],
    ] as const
  )
    .filter(([, s]) => s.generated)
    .map(([name]) => name);
  if (kept.length > 0)
    log.warn(
      { file: secretsFile, secrets: kept },
      `${kept.join(', ')} not set: using values generated once and kept in ${secretsFile} (the media server's hook secret is there); set them explicitly to run more than one instance`,
    );

  const lifecycle = app.get(LifecycleService);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Shutting down: draining requests and sockets');
    const force = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, 'Shutdown timed out; exiting');
      log.flush();
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
        log.flush();
        clearTimeout(force);
        process.exit(0);
      } catch (err) {
        log.error({ err }, 'Shutdown failed');
        log.flush();
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  const url = await app.getUrl();
  // A wildcard listen address is reachable as localhost on this machine; say so in the links.
  const base = ['0.0.0.0', '::'].includes(config.host)
    ? `http://localhost:${config.port}`
    : url.replace('[::1]', 'localhost');
  const links = { home: `${base}/`, studio: `${base}/studio`, docs: `${base}/docs` };
  log.info(
    {
      url,
      mode: { database: config.database.mode, redis: config.redis.url ? 'redis' : 'memory' },
      ...links,
    },
    `OnAir is listening: watch ${links.home} · studio ${links.studio} · API docs ${links.docs}`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `OnAir failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
