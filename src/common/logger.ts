import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { LogLevel } from '../config/app-config';
import { currentRequestId } from './request-context';

/** JSON lines on stdout; every line inside a request carries its requestId. */
export function createRootLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
      redact: {
        paths: [
          'password',
          '*.password',
          'key',
          '*.key',
          'secret',
          '*.secret',
          'sig',
          '*.sig',
          'token',
          '*.token',
          'accessToken',
          'streamKey',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

function isPlainFields(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Adapts pino to Nest's LoggerService so framework and app logs share one format. */
export class JsonLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    rest: unknown[],
  ): void {
    const context =
      typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    // Our code logs pino-style, logger.warn({ fields }, 'text'); Nest appends the context, so the
    // text is the argument before it. For a string or Error message, Nest's error() puts a stack there.
    const text = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    if (message instanceof Error) {
      this.root[level]({ ...fields, err: message }, message.message);
    } else if (isPlainFields(message)) {
      if (text !== undefined) this.root[level]({ ...fields, ...message }, text);
      else this.root[level]({ ...fields, ...message });
    } else {
      if (level === 'error' && text !== undefined) fields.stack = text;
      this.root[level](
        fields,
        typeof message === 'string' ? message : (JSON.stringify(message) ?? String(message)),
      );
    }
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }
}
