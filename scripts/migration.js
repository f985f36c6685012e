#!/usr/bin/env node
/*
 * npm run migration:<generate|run|revert|show> [-- Name]
 * The dialect follows DATABASE_URL like the app: unset → SQLite (DATA_DIR/onair.sqlite),
 * postgres://… → PostgreSQL. `generate` diffs the entities against that database after applying
 * the existing migrations, and writes migrations/<dialect>/<timestamp>-<Name>.ts.
 * With a build present (npm run build) and no dev dependencies, run/revert/show use dist/.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

require('dotenv').config({ quiet: true });
const [cmd, name] = process.argv.slice(2);
const root = path.resolve(__dirname, '..');
const dialect = (process.env.DATABASE_URL || '').trim() ? 'postgres' : 'sqlite';
const env = { ...process.env };
if (!['generate', 'run', 'revert', 'show'].includes(cmd)) {
  console.error('usage: node scripts/migration.js <generate Name|run|revert|show>');
  process.exit(2);
}

const tsCli = path.join(root, 'node_modules', 'typeorm', 'cli-ts-node-commonjs.js');
const jsCli = path.join(root, 'node_modules', 'typeorm', 'cli.js');
const distSource = path.join(root, 'dist', 'src', 'database', 'data-source.js');
const useTs =
  fs.existsSync(path.join(root, 'node_modules', 'ts-node')) &&
  (cmd === 'generate' || !fs.existsSync(distSource));

function typeorm(args) {
  const cli = useTs ? tsCli : jsCli;
  const ds = useTs ? path.join('src', 'database', 'data-source.ts') : distSource;
  const r = spawnSync(process.execPath, [cli, ...args, '-d', ds], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (cmd === 'generate') {
  if (!name || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
    console.error('usage: npm run migration:generate -- <PascalCaseName>');
    process.exit(2);
  }
  if (dialect === 'sqlite' && !process.env.DATA_DIR) {
    // A scratch SQLite file, brought up to date first, so the diff is only the new change.
    env.DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-migration-'));
  }
  typeorm(['migration:run']);
  typeorm(['migration:generate', path.join('migrations', dialect, name), '--pretty']);
} else {
  console.log(`[migrations] dialect: ${dialect}`);
  typeorm([`migration:${cmd}`]);
}
