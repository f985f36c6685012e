import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/app-config';
import { Http } from './http';
import { Mode, modeEnv } from './modes';

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  http: Http;
  env: Record<string, string>;
  /** Every JSON log line written so far. */
  logs(): string[];
  close(): Promise<void>;
}

/** Boots the real app in this process on a random loopback port. */
export async function startApp(mode: Mode, extra: Record<string, string> = {}): Promise<TestApp> {
  const m = await modeEnv(mode, extra);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const config = loadConfig(m.env);
  const { app } = await createApp(config, sink);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.getHttpServer().address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    http: new Http(url),
    env: m.env,
    logs: () => lines,
    async close() {
      await app.close();
      await m.cleanup();
    },
  };
}
