#!/usr/bin/env node
/**
 * Latency of the nginx-rtmp hook hot path against a running OnAir:
 *   publish → play → play_done → publish_done, each connection on its own stream,
 * bodies exactly as nginx-rtmp sends them. Prints p50/p90/p99/max per phase.
 *
 *   node test/media/hook-latency.js http://127.0.0.1:3000 <HOOK_SECRET> [connections=10] [seconds=10]
 *
 * The app needs MAX_STREAMS_PER_USER >= 2 x connections (one user creates them all).
 */
'use strict';
const autocannon = require('autocannon');

const [base, secret, connArg, secArg] = process.argv.slice(2);
if (!base || !secret) {
  console.error(
    'usage: node test/media/hook-latency.js <base-url> <hook-secret> [connections] [seconds]',
  );
  process.exit(2);
}
const connections = Number(connArg ?? 10);
const duration = Number(secArg ?? 10);

async function json(method, path, body, token) {
  const res = await fetch(base + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

const PUB =
  'app=live&flashver=FMLE/3.0%20(compatible%3B%20Lavf59.27&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1';
const PLAYER =
  'app=live&flashver=LNX%209,0,124,2&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1';

/** Runs `cycle(stream, connectionIndex)` in a loop on every connection, each on its own stream. */
function run(title, streams, cycle) {
  let next = 0;
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: `${base}/api/v1/hooks/nginx-rtmp?secret=${encodeURIComponent(secret)}`,
        connections,
        duration,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        setupClient: (client) => {
          const i = next++;
          client.setRequests(cycle(streams[i], i).map((body) => ({ method: 'POST', body })));
        },
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
    autocannon.track(inst, {
      renderProgressBar: false,
      renderResultsTable: false,
      renderLatencyTable: false,
    });
  }).then((r) => {
    const l = r.latency;
    console.log(
      `${title.padEnd(36)} requests=${r.requests.total} non2xx=${r.non2xx} errors=${r.errors} timeouts=${r.timeouts} ` +
        `p50=${l.p50}ms p90=${l.p90}ms p99=${l.p99}ms max=${l.max}ms`,
    );
    return r;
  });
}

async function main() {
  const username = `bench${Date.now().toString(36)}`;
  const { accessToken } = await json('POST', '/api/v1/auth/register', {
    username,
    password: 'bench-password-1',
  });
  const fresh = async () => {
    const streams = [];
    for (let i = 0; i < connections; i++)
      streams.push(await json('POST', '/api/v1/streams', { title: `bench ${i}` }, accessToken));
    return streams;
  };
  const args = (s) => {
    const u = new URL(s.playback.hls);
    const q = u.searchParams;
    return `sid=${q.get('sid')}&exp=${q.get('exp')}&sig=${q.get('sig')}`;
  };
  const publish = (s, cid) =>
    `${PUB}&clientid=${cid}&call=publish&name=${s.id}&type=live&key=${s.streamKey}`;
  const publishDone = (s, cid) =>
    `${PUB}&clientid=${cid}&call=publish_done&name=${s.id}&key=${s.streamKey}`;
  const play = (s, cid) =>
    `${PLAYER}&clientid=${cid}&call=play&name=${s.id}&start=4294965296&duration=0&reset=0&${args(s)}`;
  const playDone = (s, cid) => `${PLAYER}&clientid=${cid}&call=play_done&name=${s.id}&${args(s)}`;

  console.log(`connections=${connections} duration=${duration}s target=${base}`);
  const all = await run('publish+play+play_done+publish_done', await fresh(), (s, i) => [
    publish(s, 1000 + i),
    play(s, 5000 + i),
    playDone(s, 5000 + i),
    publishDone(s, 1000 + i),
  ]);
  const pub = await run('publish+publish_done', await fresh(), (s, i) => [
    publish(s, 1000 + i),
    publishDone(s, 1000 + i),
  ]);
  if ([all, pub].some((r) => r.non2xx || r.errors || r.timeouts)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
