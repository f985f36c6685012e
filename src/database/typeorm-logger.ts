import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';
import { isUnavailableError } from '../common/errors';

const MAX_QUERY_CHARS = 300;

function describe(error: string | Error): { message: string; code?: string } {
  if (typeof error === 'string') return { message: error };
  const code = (error as Error & { code?: unknown }).code;
  return { message: error.message, code: typeof code === 'string' ? code : undefined };
}

/**
 * TypeORM's own loggers print plain text and the query PARAMETERS (usernames, password hashes,
 * stream-key hashes). This one writes through the app's JSON logger and never logs parameters.
 */
export class TypeOrmJsonLogger implements TypeOrmLogger {
  private readonly out = new Logger(TypeOrmJsonLogger.name);

  logQuery(): void {
    // Every query would drown the log; slow and failed ones are logged below.
  }

  logQueryError(error: string | Error, query: string): void {
    const fields = { err: describe(error), query: query.slice(0, MAX_QUERY_CHARS) };
    // An outage is reported once per request as a 503 by the exception filter already.
    if (typeof error !== 'string' && isUnavailableError(error))
      this.out.debug(fields, 'Query failed: database unavailable');
    else this.out.warn(fields, 'Query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.out.warn({ ms: time, query: query.slice(0, MAX_QUERY_CHARS) }, 'Slow query');
  }

  logSchemaBuild(): void {
    // synchronize is never on.
  }

  logMigration(message: string): void {
    this.out.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text =
      typeof message === 'string'
        ? message
        : message instanceof Error
          ? message.message
          : JSON.stringify(message);
    if (level === 'warn') this.out.warn(text);
    else this.out.log(text);
  }
}

/** pg-pool reports errors of idle connections (e.g. the server went away) here; without a handler they would crash the process. */
export function logPoolError(err: Error): void {
  new Logger(TypeOrmJsonLogger.name).warn({ err: describe(err) }, 'Idle database connection lost');
}
