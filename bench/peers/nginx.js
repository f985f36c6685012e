'use strict';
// Ceiling for P6: nginx serving the very file OnAir stores, statically, with Range support
// (nginx answers Range on static files natively; sendfile on). One worker, no access log, no
// master, pinned like the other servers. Only used when an nginx binary is present.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startProcess, waitReady } = require('../lib/procs');
const { freePort } = require('../lib/util');

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

/** Serves `file` at http://127.0.0.1:<port>/video.mp4. */
async function startNginx({ bin, tmpRoot, file, cpu }) {
  const prefix = prepare(tmpRoot, 'nginx');
  const port = await freePort();
  const conf = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(
    conf,
    benchConf(
      prefix,
      `  server {
    listen 127.0.0.1:${port};
    location = /video.mp4 { alias ${file}; }
    location = /health/ready { return 200 "ok"; }
  }`,
    ),
  );
  const proc = await runNginx({ bin, prefix, conf, cpu, name: 'nginx' });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(
    proc,
    async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200,
    15000,
  );
  return { url, proc, fileUrl: `${url}/video.mp4` };
}

/**
 * nginx in front of an OnAir started with VIDEO_ACCEL_REDIRECT_PREFIX=/internal/videos/: every
 * request is proxied to OnAir (keep-alive upstream connections), and OnAir's X-Accel-Redirect is
 * served from the internal location with the directives of docker/nginx/nginx.conf.
 */
async function startAccelProxy({ bin, tmpRoot, onairPort, videosDir, cpu }) {
  const prefix = prepare(tmpRoot, 'nginx-accel');
  const port = await freePort();
  const conf = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(
    conf,
    benchConf(
      prefix,
      `  map $http_range $onair_range_accepted { default bytes; "" ""; }
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
    location /internal/videos/ {
      internal;
      alias ${videosDir}/;
      etag off;
      if_modified_since off;
      max_ranges 1;
      add_header ETag $upstream_http_etag always;
      add_header Accept-Ranges $onair_range_accepted always;
      add_header Last-Modified $upstream_http_last_modified always;
      add_header X-Content-Type-Options $upstream_http_x_content_type_options always;
      add_header X-Request-Id $upstream_http_x_request_id always;
    }
  }`,
    ),
  );
  const proc = await runNginx({ bin, prefix, conf, cpu, name: 'nginx (X-Accel proxy)' });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(
    proc,
    async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200,
    15000,
  );
  return { url, proc };
}

module.exports = { findNginx, nginxVersion, startNginx, startAccelProxy };
