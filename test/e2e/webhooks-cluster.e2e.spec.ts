/**
 * Two real OnAir processes sharing one PostgreSQL outbox: no attempt is made twice, and pending
 * deliveries survive a restart of both. Runs the built app: `npm run build` first.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ModeEnv, modeEnv } from '../helpers/modes';
import { AppProcess, freePort, spawnApp } from '../helpers/process';
import { describeWithServices } from '../helpers/services';
import { until } from '../helpers/wait';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { createStream, metricValue, nginxBody, nginxHook } from '../media/hook-client';

interface Attempt {
  eventId: string;
  event: string;
  attempt: number;
  status: string;
  error: string | null;
}

describeWithServices('webhooks across instances (one PostgreSQL outbox)', () => {
  let m: ModeEnv;
  let A: AppProcess;
  let B: AppProcess;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    m = await modeEnv('clustered', {
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_MAX_ATTEMPTS: '50',
      WEBHOOK_BACKOFF_BASE_MS: '100',
      WEBHOOK_BACKOFF_MAX_MS: '2000',
      WEBHOOK_POLL_INTERVAL_MS: '50',
      MAX_STREAMS_PER_USER: '1000',
      THROTTLE_LIMIT: '100000',
      LOG_LEVEL: 'warn',
    });
    // One after the other: the first one applies the migrations.
    A = await spawnApp(m.env);
    B = await spawnApp(m.env);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([A?.stop('SIGKILL'), B?.stop('SIGKILL')]);
    await receiver.stop();
    await m?.cleanup();
  });

  const attempts = async (app: AppProcess, id: string, token: string): Promise<Attempt[]> => {
    const all: Attempt[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const r = await app.http.get(`/api/v1/webhooks/${id}/deliveries?limit=100${q}`, token);
      expect(r.status).toBe(200);
      all.push(...(r.body.items as Attempt[]));
      cursor = r.body.nextCursor as string | null;
    } while (cursor);
    return all;
  };
  const delivered = (app: AppProcess) =>
    Promise.all(
      ['stream.started', 'stream.ended'].map((e) =>
        metricValue(app.http, `webhook_deliveries_total{event="${e}",result="delivered"}`),
      ),
    ).then(([a, b]) => a + b);

  it('makes every attempt exactly once while two instances share the outbox', async () => {
    const owner = await A.http.user('whcluster');
    const path = `/hook/${randomUUID()}`;
    const sub = await A.http.post(
      '/api/v1/webhooks',
      {
        url: `http://127.0.0.1:${receiver.port}${path}`,
        events: ['stream.started', 'stream.ended'],
      },
      owner.token,
    );
    expect(sub.status).toBe(201);
    // The first request for each event fails: every event needs a retry, claimed by either instance.
    const seen = new Set<string>();
    receiver.respond = (r) => {
      if (r.path !== path) return 200;
      const first = !seen.has(r.body.id);
      seen.add(r.body.id);
      return first ? 500 : 200;
    };
    const before = (await delivered(A)) + (await delivered(B));

    const N = 15;
    for (let i = 0; i < N; i++) {
      const via = i % 2 === 0 ? A : B;
      const s = await createStream(via.http, owner.token, `cluster ${i}`);
      expect((await nginxHook(via.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(
        200,
      );
      const other = via === A ? B : A;
      expect(
        (await nginxHook(other.http, nginxBody('publish_done', s.id, `key=${s.key}`))).status,
      ).toBe(200);
    }

    const log = await until(
      async () => {
        const items = await attempts(B, sub.body.id, owner.token);
        return items.filter((a) => a.status === 'delivered').length === 2 * N ? items : undefined;
      },
      { timeoutMs: 60_000, message: 'not every event was delivered' },
    );
    const mine = receiver.received.filter((r) => r.path === path);
    const byEvent = new Map<string, number>();
    for (const r of mine) byEvent.set(r.body.id, (byEvent.get(r.body.id) ?? 0) + 1);
    expect(byEvent.size).toBe(2 * N);
    expect([...byEvent.values()].every((n) => n === 2)).toBe(true);
    const keys = log.map((a) => `${a.eventId}#${a.attempt}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(log).toHaveLength(4 * N);
    expect(log.filter((a) => a.status === 'failed').every((a) => a.attempt === 1)).toBe(true);
    expect(log.filter((a) => a.status === 'delivered').every((a) => a.attempt === 2)).toBe(true);
    // Each process counts only what it delivered itself: the sum is exact, with no double send.
    const [dA, dB] = [await delivered(A), await delivered(B)];
    expect(dA + dB - before).toBe(2 * N);
    expect(dA).toBeGreaterThan(0);
    expect(dB).toBeGreaterThan(0);
  }, 120_000);

  it('retries an attempt cut short by killing both instances, once its lease has run out', async () => {
    const owner = await A.http.user('whkill');
    const path = `/hook/${randomUUID()}`;
    const sub = await A.http.post(
      '/api/v1/webhooks',
      { url: `http://127.0.0.1:${receiver.port}${path}`, events: ['stream.started'] },
      owner.token,
    );
    expect(sub.status).toBe(201);
    // The first request is left hanging: the instance that sent it dies waiting.
    receiver.respond = (r) => (r.path !== path ? 200 : mine().length === 1 ? 'hang' : 200);
    const mine = () => receiver.received.filter((r) => r.path === path);
    const s = await createStream(B.http, owner.token, 'Killed mid-attempt');
    expect((await nginxHook(B.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(200);
    await until(() => mine().length === 1, { message: 'first attempt never arrived' });

    await Promise.all([A.stop('SIGKILL'), B.stop('SIGKILL')]);
    A = await spawnApp(m.env);
    B = await spawnApp(m.env);
    // The killed claim holds its lease (30 s) before anyone may try again.
    await until(() => mine().length === 2, {
      timeoutMs: 60_000,
      intervalMs: 200,
      message: 'the killed attempt was never retried',
    });
    const [first, second] = mine();
    expect(second.headers['onair-delivery']).toBe(first.headers['onair-delivery']);
    expect(second.body.data.streamId).toBe(s.id);
    const log = await until(async () => {
      const items = await attempts(A, sub.body.id, owner.token);
      return items.length > 0 ? items : undefined;
    });
    // Attempt 1 died unrecorded; its number is never reused.
    expect(log.map((a) => [a.attempt, a.status])).toEqual([[2, 'delivered']]);
    expect(mine()).toHaveLength(2);
  }, 150_000);

  it('delivers an event after both instances restarted while the receiver was down', async () => {
    const owner = await A.http.user('whrestart');
    const port = await freePort();
    const down = new WebhookReceiver();
    const sub = await A.http.post(
      '/api/v1/webhooks',
      { url: `http://127.0.0.1:${port}/hook`, events: ['stream.started'] },
      owner.token,
    );
    expect(sub.status).toBe(201);
    const s = await createStream(A.http, owner.token, 'Restart');
    expect((await nginxHook(A.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(200);
    const failed = await until(
      async () => (await attempts(A, sub.body.id, owner.token)).find((a) => a.status === 'failed'),
      { message: 'no failed attempt while the receiver was down' },
    );
    expect(failed.error).toMatch(/ECONNREFUSED/);

    expect(await Promise.all([A.stop('SIGTERM'), B.stop('SIGTERM')])).toEqual([0, 0]);
    await down.start(port);
    try {
      A = await spawnApp(m.env);
      B = await spawnApp(m.env);
      const got = await until(() => down.received[0], {
        timeoutMs: 30_000,
        message: 'not delivered after the restart',
      });
      expect(got.body).toMatchObject({ id: failed.eventId, type: 'stream.started' });
      expect(got.headers['onair-delivery']).toBe(failed.eventId);
      expect(got.body.data.streamId).toBe(s.id);
      const log = await until(async () => {
        const items = await attempts(B, sub.body.id, owner.token);
        return items[0]?.status === 'delivered' ? items : undefined;
      });
      expect(log[0].attempt).toBe(log.length);
      expect(log.slice(1).every((a) => a.status === 'failed')).toBe(true);
      expect(down.received).toHaveLength(1);
    } finally {
      await down.stop();
    }
  }, 120_000);
});

const STALE_SEC = 1;

describeWithServices('webhooks when the sweeper races a late publish_done', () => {
  let m: ModeEnv;
  let A: AppProcess;
  let B: AppProcess;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    m = await modeEnv('clustered', {
      STREAM_STALE_SEC: String(STALE_SEC),
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_POLL_INTERVAL_MS: '100',
      MAX_STREAMS_PER_USER: '1000',
      THROTTLE_LIMIT: '100000',
      LOG_LEVEL: 'warn',
    });
    A = await spawnApp(m.env);
    B = await spawnApp(m.env);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([A?.stop('SIGKILL'), B?.stop('SIGKILL')]);
    await receiver.stop();
    await m?.cleanup();
  });

  it('sends exactly one stream.ended per stream, whether the sweeper or publish_done ends it', async () => {
    const owner = await A.http.user('whrace');
    const path = `/hook/${randomUUID()}`;
    const sub = await A.http.post(
      '/api/v1/webhooks',
      { url: `http://127.0.0.1:${receiver.port}${path}`, events: ['stream.ended'] },
      owner.token,
    );
    expect(sub.status).toBe(201);
    const streams = await Promise.all(
      Array.from({ length: 12 }, (_, i) => createStream(A.http, owner.token, `race ${i}`)),
    );
    // publish_done arrives from 0.3 s (well before the stream is stale) to 2.5 s (well after
    // a sweep, which runs every STALE_SEC/4 on each instance) after the publish, on BOTH
    // instances at once, as a media server retrying through the load balancer would.
    await Promise.all(
      streams.map(async (s, i) => {
        expect((await nginxHook(A.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(
          200,
        );
        // Staggered on purpose (see above): each stream races the sweeper at a different moment.
        await new Promise((resolve) => setTimeout(resolve, 300 + i * 200));
        const done = await Promise.all(
          [A, B].map((app) => nginxHook(app.http, nginxBody('publish_done', s.id, `key=${s.key}`))),
        );
        expect(done.map((r) => r.status)).toEqual([200, 200]);
      }),
    );

    const mine = () => receiver.received.filter((r) => r.path === path);
    await until(() => new Set(mine().map((r) => r.body.data.streamId)).size === streams.length, {
      timeoutMs: 20_000,
      message: 'a stream.ended is missing',
    });
    // Every state change is final by now, and each wrote its event in its own transaction:
    // the outbox itself must hold one stream.ended per stream.
    const db = new Client({ connectionString: m.env.DATABASE_URL });
    await db.connect();
    try {
      const rows = (
        await db.query<{ data: string }>(
          `SELECT "data" FROM "webhook_events" WHERE "type" = 'stream.ended'`,
        )
      ).rows.map((r) => JSON.parse(r.data) as { streamId: string; reason: string });
      expect(rows.map((r) => r.streamId).sort()).toEqual(streams.map((s) => s.id).sort());
      // Both sides of the race won some of the time.
      expect(new Set(rows.map((r) => r.reason))).toEqual(new Set(['stale', 'unpublished']));
    } finally {
      await db.end();
    }
    expect(mine()).toHaveLength(streams.length);
    expect(new Set(mine().map((r) => r.body.id)).size).toBe(streams.length);
  }, 120_000);
});
