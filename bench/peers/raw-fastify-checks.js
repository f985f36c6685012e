'use strict';
// Ceilings for P8 and P9: plain Fastify doing exactly the per-request work the contract asks of
// those routes, and nothing else (no logging, no metrics, no rate limit, no validation).
//   P8  GET /api/v1/hooks/hls?secret=… with X-Original-URI /hls/<id>.m3u8?sid=…&exp=…&sig=…:
//       the hook secret, then HMAC-SHA256 over `<streamId>:<sid>:<exp>` with PLAY_URL_SECRET
//       (base64url, constant-time compare) and the expiry → 204, else 403.
//   P9  POST /api/v1/rooms/:id/heartbeat {viewerId}: one ZADD of the viewer into the room's
//       sorted set in Redis (ioredis) → 204.

const { createHmac, timingSafeEqual } = require('node:crypto');
const Fastify = require('fastify');
const Redis = require('ioredis');

const port = Number(process.env.PORT || 3901);
const hookSecret = Buffer.from(process.env.HOOK_SECRET || '');
const playSecret = process.env.PLAY_URL_SECRET || '';
const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', {
  keyPrefix: process.env.REDIS_KEY_PREFIX || undefined,
  maxRetriesPerRequest: 1,
});

function same(a, b) {
  return a.length === b.length && timingSafeEqual(a, b);
}

const app = Fastify({ logger: false });
app.get('/api/v1/hooks/hls', (req, reply) => {
  const secret = req.query.secret;
  if (typeof secret !== 'string' || !same(Buffer.from(secret), hookSecret))
    return reply.code(403).send();
  const uri = req.headers['x-original-uri'];
  if (typeof uri !== 'string') return reply.code(400).send();
  const u = new URL(uri, 'http://x');
  const m = /\/([0-9a-f-]{36})(?:\.m3u8|-\d+\.ts|\/[^/]+)$/.exec(u.pathname);
  const sid = u.searchParams.get('sid');
  const exp = u.searchParams.get('exp');
  const sig = u.searchParams.get('sig');
  if (!m || !sid || !exp || !sig) return reply.code(403).send();
  const want = createHmac('sha256', playSecret).update(`${m[1]}:${sid}:${exp}`).digest();
  const got = Buffer.from(sig, 'base64url');
  if (!same(got, want) || Number(exp) * 1000 < Date.now()) return reply.code(403).send();
  return reply.code(204).send();
});
app.post('/api/v1/rooms/:id/heartbeat', async (req, reply) => {
  const viewerId = req.body && typeof req.body.viewerId === 'string' ? req.body.viewerId : 'anon';
  await redis.zadd(`presence:{${req.params.id}}:z`, Date.now(), viewerId);
  return reply.code(204).send();
});
app.get('/health/ready', async () => ({ status: 'ok' }));

app.listen({ port, host: '127.0.0.1' }).catch((err) => {
  process.stderr.write(`raw-fastify-checks failed: ${err.message}\n`);
  process.exit(1);
});
process.on('SIGTERM', () =>
  app
    .close()
    .then(() => redis.quit())
    .then(() => process.exit(0)),
);
