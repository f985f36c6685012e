/**
 * DataSource for the TypeORM CLI (migration:generate/run/revert/show). The dialect follows
 * DATABASE_URL exactly as the app does: unset → SQLite file in DATA_DIR, postgres://… → PostgreSQL.
 */
import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { buildDataSourceOptions } from './typeorm-options';

loadDotenv({ quiet: true });

export default new DataSource(buildDataSourceOptions(loadConfig()));
