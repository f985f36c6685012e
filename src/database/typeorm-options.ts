import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaults as pgDefaults, types as pgTypes } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { ENTITIES } from './entities';
import { logPoolError, TypeOrmJsonLogger } from './typeorm-logger';

// Timestamps are stored as UTC wall-clock time in both dialects: send Dates as UTC and
// read `timestamp without time zone` back as UTC, whatever the host's TZ is.
pgDefaults.parseInputDatesAsUTC = true;
pgTypes.setTypeParser(1114, (s: string) => new Date(s.replace(' ', 'T') + 'Z'));

/** Migrations live at the top level, one folder per dialect (compiled to dist/migrations). */
export function migrationsGlob(mode: 'sqlite' | 'postgres'): string {
  return path.join(__dirname, '..', '..', 'migrations', mode, '*.{ts,js}').replace(/\\/g, '/');
}

export function buildDataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    logging: ['error', 'warn', 'migration'] as ('error' | 'warn' | 'migration')[],
    logger: new TypeOrmJsonLogger(),
    maxQueryExecutionTime: 1000,
  };
  if (config.database.mode === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: config.database.url,
      migrations: [migrationsGlob('postgres')],
      poolSize: config.database.poolSize,
      connectTimeoutMS: config.database.connectTimeoutMs,
      poolErrorHandler: logPoolError,
      extra: {
        // Bounded waits: a request never queues forever for a connection or a query.
        connectionTimeoutMillis: config.database.connectTimeoutMs,
        // The server cancels a slow statement first (clean error, connection stays usable); the
        // client-side timeout is the backstop for a link that stopped answering altogether.
        statement_timeout: config.database.queryTimeoutMs,
        query_timeout: config.database.queryTimeoutMs + 1000,
        // Notice a silently dead peer on idle pooled connections instead of trusting them forever.
        keepAlive: true,
        keepAliveInitialDelayMillis: 10000,
        idleTimeoutMillis: 30000,
        options: '-c TimeZone=UTC',
        application_name: 'onair',
      },
    };
  }
  fs.mkdirSync(path.dirname(config.database.sqlitePath), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.database.sqlitePath,
    migrations: [migrationsGlob('sqlite')],
    enableWAL: true,
    timeout: config.database.connectTimeoutMs,
    prepareDatabase: (db: { pragma: (s: string) => unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
  };
}
