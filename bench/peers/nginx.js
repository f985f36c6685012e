'use strict';
// Ceiling for P6: nginx serving the very file OnAir stores, statically, with Range support
// (nginx answers Range on static files natively; sendfile on). One worker, no access log, no
// master, pinned like the other servers. Only used when an nginx binary is present.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startProcess, waitReady } = require('../lib/procs');
const { freePort } = require('../lib/util');

const ROOT = path.resolve(__dirname, '..', '..');

function findNginx() {
  for (const p of [
    process.env.BENCH_NGINX,
    '/usr/sbin/nginx',
    '/usr/local/sbin/nginx',
    '/usr/local/nginx/sbin/nginx',
  ]) {
    if (p && fs.existsSync(p)) return p;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function nginxVersion(bin) {
  // nginx -v prints to stderr.
  const r = require('node:child_process').spawnSync(bin, ['-v'], { encoding: 'utf8' });
  const text = `${r.stdout || ''}${r.stderr || ''}`.trim();
  return text || null;
}

/** nginx.conf for the bench: one worker, no master, no access log, sendfile on; `server` inside. */
function benchConf(prefix, server) {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  types { video/mp4 mp4; }
  default_type application/octet-stream;
${server}
}
`;
}

async function runNginx({ bin, prefix, conf, cpu, name }) {
  const proc = startProcess({
    name,
    cmd: bin,
    args: ['-p', prefix, '-e', `${prefix}/logs/error.log`, '-c', conf],
    env: { PATH: process.env.PATH },
    cwd: prefix,
    cpu,
    logFile: path.join(prefix, 'logs', 'stdout.log'),
  });
  return proc;
}

function prepare(tmpRoot, name) {
  const prefix = path.join(tmpRoot, name);
  for (const d of ['logs', 'tmp', 'www']) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  return prefix;
}

/** Writes the config (`server(port)` is the http block's content), starts nginx, waits for it. */
async function launch({ bin, tmpRoot, dir, name, cpu, server }) {
  const prefix = prepare(tmpRoot, dir);
  const port = await freePort();
  const conf = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(conf, benchConf(prefix, server(port)));
  const proc = await runNginx({ bin, prefix, conf, cpu, name });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(
    proc,
    async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200,
    15000,
  );
  return { url, proc };
}

/** Serves `file` at http://127.0.0.1:<port>/video.mp4. */
async function startNginx({ bin, tmpRoot, file, cpu }) {
  const { url, proc } = await launch({
    bin,
    tmpRoot,
    dir: 'nginx',
    name: 'nginx',
    cpu,
    server: (port) => `  server {
    listen 127.0.0.1:${port};
    location = /video.mp4 { alias ${file}; }
    location = /health/ready { return 200 "ok"; }
  }`,
  });
  return { url, proc, fileUrl: `${url}/video.mp4` };
}

/** A block of docker/nginx/nginx.conf (from `opening` to its matching brace), as shipped. */
function shippedBlock(conf, opening) {
  const at = conf.indexOf(opening);
  if (at < 0) throw new Error(`docker/nginx/nginx.conf has no "${opening}" block`);
  let depth = 0;
  for (let i = at; i < conf.length; i++) {
    if (conf[i] === '#')
      i = conf.indexOf('\n', i); // comments may say anything
    else if (conf[i] === '{') depth++;
    else if (conf[i] === '}' && --depth === 0) return conf.slice(at, i + 1);
  }
  throw new Error(`docker/nginx/nginx.conf: "${opening}" is never closed`);
}

/**
 * nginx in front of an OnAir started with VIDEO_ACCEL_REDIRECT_PREFIX=/internal/videos/: every
 * request is proxied to OnAir (keep-alive upstream connections), and OnAir's X-Accel-Redirect is
 * served by the internal location and range map of docker/nginx/nginx.conf, as shipped (only
 * the alias points at this run's videos folder).
 */
async function startAccelProxy({ bin, tmpRoot, onairPort, videosDir, cpu }) {
  const shipped = fs.readFileSync(path.join(ROOT, 'docker', 'nginx', 'nginx.conf'), 'utf8');
  const map = shippedBlock(shipped, 'map $http_range $onair_range_accepted {');
  const location = shippedBlock(shipped, 'location /internal/videos/ {').replace(
    /alias [^;]+;/,
    `alias ${videosDir}/;`,
  );
  return launch({
    bin,
    tmpRoot,
    dir: 'nginx-accel',
    name: 'nginx (X-Accel proxy)',
    cpu,
    server: (port) => `  ${map}
  upstream onair { server 127.0.0.1:${onairPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    proxy_http_version 1.1;
    proxy_max_temp_file_size 0;
    location / {
      proxy_pass http://onair;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header Connection "";
    }
    ${location}
  }`,
  });
}

module.exports = { findNginx, nginxVersion, startNginx, startAccelProxy };
