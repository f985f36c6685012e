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

/** Serves `file` at http://127.0.0.1:<port>/video.mp4. */
async function startNginx({ bin, tmpRoot, file, cpu }) {
  const prefix = path.join(tmpRoot, 'nginx');
  for (const d of ['logs', 'tmp', 'www']) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  const port = await freePort();
  const conf = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `daemon off;
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
  server {
    listen 127.0.0.1:${port};
    location = /video.mp4 { alias ${file}; }
    location = /health/ready { return 200 "ok"; }
  }
}
`,
  );
  const proc = startProcess({
    name: 'nginx',
    cmd: bin,
    args: ['-p', prefix, '-e', `${prefix}/logs/error.log`, '-c', conf],
    env: { PATH: process.env.PATH },
    cwd: prefix,
    cpu,
    logFile: path.join(prefix, 'logs', 'stdout.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(
    proc,
    async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200,
    15000,
  );
  return { url, proc, fileUrl: `${url}/video.mp4` };
}

module.exports = { findNginx, nginxVersion, startNginx };
