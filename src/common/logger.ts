import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { LogLevel } from '../config/app-config';
import { currentRequestId } from './request-context';

/**
 * Fields that can hold a secret in an application log line. The access-log line never goes
 * through this (its fields are fixed and the path is logged without its query string).
 */
const REDACT_PATHS = [
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
];

/**
 * How many bytes the destination gathers before one write(2): one write per request costs a
 * thread-pool round trip each; at a few hundred bytes per line this is about ten lines a write.
 */
const LOG_BUFFER_BYTES = 4096;
/** Longest a line waits in the buffer when traffic is low (someone may be tailing the log). */
const LOG_FLUSH_EVERY_MS = 250;

/** The fields of the one access-log line per request. */
export interface AccessLine {
  requestId: string;
  method: string;
  route: string;
  path: string;
  statusCode: number;
  ms: number;
}

export type AccessLevel = 'debug' | 'info' | 'error';

export interface AccessLog {
  /** Writes the line at info or debug ("request completed"), or at error ("request failed"). */
  write(level: AccessLevel, line: AccessLine): void;
}

export interface AppLoggers {
  /** Application lines: redacted, and the request id of the request they belong to. */
  log: Logger;
  /**
   * The access-log line: the same JSON as pino writes for it, built directly (its shape is fixed
   * and none of its fields can hold a secret), so no generic serialiser or redaction pass runs
   * per request.
   */
  access: AccessLog;
  /** Writes out synchronously whatever is still buffered (shutdown, fatal errors). */
  flushSync(): void;
  /** Stops the periodic flush (the app is closing). */
  close(): void;
}

interface BufferedDestination extends pino.DestinationStream {
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
  /** sonic-boom's count of buffered bytes (flush() on an empty buffer still issues a write). */
  _len?: number;
}

function isBuffered(d: pino.DestinationStream): d is BufferedDestination {
  return (
    typeof (d as Partial<BufferedDestination>).flushSync === 'function' &&
    typeof (d as Partial<BufferedDestination>).flush === 'function'
  );
}

/**
 * JSON lines on stdout, written asynchronously in batches (never a blocking write per line).
 * Nothing is lost on a normal exit: main.ts flushes synchronously before process.exit, and pino
 * flushes its own destination on the process's 'exit' event (also after an uncaught error).
 */
export function createLoggers(level: LogLevel, destination?: pino.DestinationStream): AppLoggers {
  const dest =
    destination ?? pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES });
  const access = pino(
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
    },
    dest,
  );
  // Redaction is compiled once, here, for the application lines only.
  const log = access.child({}, { redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
  const accessLog = accessWriter(dest, {
    debug: access.isLevelEnabled('debug'),
    info: access.isLevelEnabled('info'),
    error: access.isLevelEnabled('error'),
  });
  let timer: NodeJS.Timeout | undefined;
  if (isBuffered(dest)) {
    timer = setInterval(() => {
      if (dest._len === 0) return;
      try {
        dest.flush();
      } catch {
        // Not ready yet (the destination opens asynchronously) or already closed: next tick.
      }
    }, LOG_FLUSH_EVERY_MS);
    timer.unref();
  }
  return {
    log,
    access: accessLog,
    flushSync() {
      if (!isBuffered(dest)) return;
      try {
        dest.flushSync();
      } catch {
        // The destination is not open (yet) or is gone; nothing more can be written.
      }
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}

function accessWriter(
  dest: pino.DestinationStream,
  enabled: Record<AccessLevel, boolean>,
): AccessLog {
  // One ISO timestamp per millisecond is enough (pino formats a new Date for every line).
  let lastMs = 0;
  let lastIso = '';
  return {
    write(level, l) {
      if (!enabled[level]) return;
      const now = Date.now();
      if (now !== lastMs) {
        lastMs = now;
        lastIso = new Date(now).toISOString();
      }
      dest.write(
        `{"level":"${level}","time":"${lastIso}","requestId":${JSON.stringify(l.requestId)},"method":${JSON.stringify(l.method)},"route":${JSON.stringify(l.route)},"path":${JSON.stringify(l.path)},"statusCode":${l.statusCode},"ms":${l.ms},"msg":"${level === 'error' ? 'request failed' : 'request completed'}"}\n`,
      );
    },
  };
}

/** The application logger alone (kept for callers that need no access log). */
export function createRootLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return createLoggers(level, destination).log;
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
