import 'reflect-metadata';
import fastifyMultipart from '@fastify/multipart';
import { RequestMethod, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { ChatIoAdapter } from './chat/chat-io.adapter';
import { ValidationFailedError } from './common/errors';
import { validationMessages } from './common/validation-messages';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { registerCors } from './common/cors';
import { AppLoggers, createLoggers, JsonLogger } from './common/logger';
import { requestIdOf, withRequestContext } from './common/request-context';
import { installRequestPipeline } from './common/request-pipeline';
import type { AppConfig } from './config/app-config';
import { addPlainRouteDocs } from './common/plain-routes';
import { HLS_CHECK_DOC } from './hooks/hls-check.route';
import { STREAM_READ_DOC } from './streams/stream-read.route';
import { LifecycleService } from './lifecycle/lifecycle.service';
import { MetricsService } from './metrics/metrics.service';
import { multipartOptions } from './videos/multipart-upload';
import { WEB_PATHS } from './web/web.module';

export interface CreatedApp {
  app: NestFastifyApplication;
  log: Logger;
  loggers: AppLoggers;
}

/** The one global ValidationPipe (exported so the DTO property tests use exactly these rules). */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(validationMessages(errors)),
  });
}

/** Builds the whole app (used by main.ts and by the e2e tests) without listening. */
export async function createApp(
  config: AppConfig,
  logDestination?: import('pino').DestinationStream,
): Promise<CreatedApp> {
  const loggers = createLoggers(config.logLevel, logDestination);
  const log = loggers.log;
  const adapter = new FastifyAdapter({
    logger: false,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,
    // Our own server so that every request runs inside its log context from the first byte
    // (see withRequestContext); the rest is what Fastify does with the server it creates.
    serverFactory: (
      handler: (req: IncomingMessage, res: ServerResponse) => void,
      opts: { keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number },
    ) => {
      const server = createServer(withRequestContext(handler));
      server.keepAliveTimeout = opts.keepAliveTimeout ?? 72_000;
      server.requestTimeout = opts.requestTimeout ?? 0;
      server.setTimeout(opts.connectionTimeout ?? 0);
      return server;
    },
    genReqId: requestIdOf,
    // While closing, a request that still arrives on an open keep-alive connection is served
    // (with Connection: close) instead of getting Fastify's bare 503: it was accepted, so it
    // finishes like the other in-flight requests. New connections are refused by then anyway.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreDuplicateSlashes: false, maxParamLength: 200 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new JsonLogger(log.child({})),
    bufferLogs: false,
    abortOnError: false,
  });

  const lifecycle = app.get(LifecycleService);
  const fastify = app.getHttpAdapter().getInstance();
  installRequestPipeline(
    fastify,
    config,
    app.get(MetricsService),
    loggers.access,
    () => lifecycle.shuttingDown,
  );
  app.useWebSocketAdapter(await ChatIoAdapter.create(app, config));
  // Streaming multipart parser for video uploads (limits: MAX_UPLOAD_BYTES, one file, small fields).
  await app.register(fastifyMultipart, multipartOptions(config));

  app.setGlobalPrefix('api/v1', {
    exclude: [
      { path: 'metrics', method: RequestMethod.GET },
      { path: 'health', method: RequestMethod.GET },
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      ...WEB_PATHS.map((path) => ({ path, method: RequestMethod.GET })),
    ],
  });
  app.useGlobalPipes(createValidationPipe());
  await registerCors(fastify, {
    origin: config.corsOrigins.includes('*') ? true : [...config.corsOrigins],
    credentials: !config.corsOrigins.includes('*'),
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'Content-Range', 'Accept-Ranges', 'ETag'],
  });

  const doc = new DocumentBuilder()
    .setTitle('OnAir API')
    .setDescription(
      'Control plane for live streaming: auth, streams and media-server hooks, rooms and chat, presence, videos. ' +
        'Errors always have the shape {statusCode, error, message, code, requestId}. Lists take ?limit (1..100) and ?cursor.',
    )
    .setVersion(config.version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, doc);
  addPlainRouteDocs(document, [HLS_CHECK_DOC, STREAM_READ_DOC]);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });

  return { app, log, loggers };
}
