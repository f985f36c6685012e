import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  WEBHOOK_RETENTION_MS,
  WebhookDeliveryWorker,
} from '../../src/webhooks/webhook-delivery.worker';
import { WebhookDeliveryEntity } from '../../src/webhooks/webhook-delivery.entity';
import { WebhookEventEntity } from '../../src/webhooks/webhook-event.entity';
import { WebhookSubscriptionEntity } from '../../src/webhooks/webhook-subscription.entity';
import { startApp, TestApp } from '../helpers/app';
import { Mode } from '../helpers/modes';
import { hasServices } from '../helpers/services';
import { until } from '../helpers/wait';
import { verifySignature, WebhookReceiver } from '../helpers/webhook-receiver';
import { createStream, metricValue, nginxBody, nginxHook } from '../media/hook-client';

const modes: Mode[] = hasServices() ? ['embedded', 'clustered'] : ['embedded'];
if (!hasServices())
  process.stderr.write('!!! SKIPPED clustered webhooks e2e: needs PostgreSQL and Redis\n');

const ADMIN = { username: 'root', password: 'root-password-123' };
const MAX_ATTEMPTS = 3;

describe.each(modes)('webhooks (%s)', (mode) => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let owner: { token: string; id: string };
  let admin: string;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await startApp(mode, {
      MAX_STREAMS_PER_USER: '1000',
      THROTTLE_LIMIT: '100000',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      WEBHOOK_BACKOFF_BASE_MS: '50',
      WEBHOOK_BACKOFF_MAX_MS: '200',
      WEBHOOK_POLL_INTERVAL_MS: '100',
    });
    owner = await t.http.user('whowner');
    admin = (await t.http.post('/api/v1/auth/login', ADMIN)).body.accessToken;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.stop();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.respond = () => 200;
  });

  /** A receiver path of its own per test, so requests from other tests cannot be mistaken. */
  const subscribe = async (
    token: string,
    events = ['stream.started', 'stream.ended'],
    path = `/hook/${randomUUID()}`,
  ) => {
    const r = await t.http.post(
      '/api/v1/webhooks',
      { url: `http://127.0.0.1:${receiver.port}${path}`, events },
      token,
    );
    if (r.status !== 201) throw new Error(`subscribe failed: ${r.status} ${r.text}`);
    return { ...(r.body as { id: string; secret: string; url: string }), path };
  };
  const at = (path: string) => receiver.received.filter((r) => r.path === path);
  const publish = (id: string, key: string, clientid = '3') =>
    nginxHook(t.http, nginxBody('publish', id, `key=${key}`, clientid));
  const publishDone = (id: string, key: string, clientid = '3') =>
    nginxHook(t.http, nginxBody('publish_done', id, `key=${key}`, clientid));
  const deliveries = async (id: string, token = owner.token) => {
    const r = await t.http.get(`/api/v1/webhooks/${id}/deliveries?limit=100`, token);
    expect(r.status).toBe(200);
    return r.body.items as {
      id: string;
      eventId: string;
      event: string;
      attempt: number;
      status: string;
      responseStatus: number | null;
      error: string | null;
      createdAt: string;
      deliveredAt: string | null;
    }[];
  };

  it('signs stream.started and stream.ended from the real publish hooks so the receiver can verify them', async () => {
    const sub = await subscribe(owner.token);
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const s = await createStream(t.http, owner.token, 'Webhook signed');

    expect((await publish(s.id, s.key)).status).toBe(200);
    const started = await until(() => at(sub.path).find((r) => r.body.type === 'stream.started'), {
      message: 'stream.started not delivered',
    });
    expect((await publishDone(s.id, s.key)).status).toBe(200);
    const ended = await until(() => at(sub.path).find((r) => r.body.type === 'stream.ended'), {
      message: 'stream.ended not delivered',
    });

    for (const [r, type] of [
      [started, 'stream.started'],
      [ended, 'stream.ended'],
    ] as const) {
      expect(verifySignature(sub.secret, r.raw, r.headers['onair-signature'] as string)).toBe(true);
      expect(verifySignature('whsec_wrong', r.raw, r.headers['onair-signature'] as string)).toBe(
        false,
      );
      expect(r.headers['onair-event']).toBe(type);
      expect(r.headers['onair-delivery']).toBe(r.body.id);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body).toMatchObject({
        type,
        data: { streamId: s.id, ownerId: owner.id, title: 'Webhook signed' },
      });
      expect(Date.now() - Date.parse(r.body.createdAt)).toBeLessThan(60_000);
    }
    const t0 = Number(/^t=(\d+)/.exec(started.headers['onair-signature'] as string)![1]);
    expect(Math.abs(t0 - Date.now() / 1000)).toBeLessThan(60);
    expect(ended.body.data.endedAt).not.toBeNull();
    expect(started.body.id).not.toBe(ended.body.id);

    const log = await until(async () => {
      const items = await deliveries(sub.id);
      return items.length === 2 ? items : undefined;
    });
    expect(log.map((d) => [d.event, d.attempt, d.status, d.responseStatus, d.error])).toEqual([
      ['stream.ended', 1, 'delivered', 200, null],
      ['stream.started', 1, 'delivered', 200, null],
    ]);
    expect(log[0].deliveredAt).not.toBeNull();
  });

  it("sends a user's subscription only the user's own streams, and an admin's every stream", async () => {
    const other = await t.http.user('whother');
    const mine = await subscribe(owner.token, ['stream.started']);
    const theirs = await subscribe(other.token, ['stream.started']);
    const admins = await subscribe(admin, ['stream.started']);
    const s = await createStream(t.http, owner.token, 'Only mine');
    expect((await publish(s.id, s.key)).status).toBe(200);

    await until(() => at(mine.path).length === 1 && at(admins.path).length === 1, {
      message: 'owner and admin subscriptions not both delivered',
    });
    expect(at(mine.path)[0].body.data.streamId).toBe(s.id);
    expect(at(admins.path)[0].body.id).toBe(at(mine.path)[0].body.id);
    // The other user's stream goes live too: only then can "theirs" be seen to have got nothing of ours.
    const o = await createStream(t.http, other.token, 'Theirs');
    expect((await publish(o.id, o.key)).status).toBe(200);
    await until(() => at(theirs.path).length === 1, { message: "other user's event missing" });
    expect(at(theirs.path).map((r) => r.body.data.streamId)).toEqual([o.id]);
    expect(await deliveries(theirs.id, other.token)).toHaveLength(1);
    // An admin's subscription hears every later test's events too; it has made its point.
    expect((await t.http.delete(`/api/v1/webhooks/${admins.id}`, admin)).status).toBe(204);
  });

  it('sends only the events a subscription asked for', async () => {
    const endedOnly = await subscribe(owner.token, ['stream.ended']);
    const s = await createStream(t.http, owner.token, 'Ended only');
    expect((await publish(s.id, s.key)).status).toBe(200);
    expect((await publishDone(s.id, s.key)).status).toBe(200);
    await until(() => at(endedOnly.path).length >= 1, { message: 'stream.ended not delivered' });
    expect(at(endedOnly.path).map((r) => r.body.type)).toEqual(['stream.ended']);
  });

  it('announces stream.ended when a live stream is deleted', async () => {
    const sub = await subscribe(owner.token, ['stream.ended']);
    const s = await createStream(t.http, owner.token, 'Deleted live');
    expect((await publish(s.id, s.key)).status).toBe(200);
    expect((await t.http.delete(`/api/v1/streams/${s.id}`, owner.token)).status).toBe(204);
    const got = await until(() => at(sub.path)[0], { message: 'stream.ended not delivered' });
    expect(got.body.data.streamId).toBe(s.id);
  });

  it('retries after 500s with the same OnAir-Delivery id and increasing attempt numbers, then delivers', async () => {
    const sub = await subscribe(owner.token, ['stream.started']);
    receiver.respond = (r) => (r.path === sub.path && at(sub.path).length <= 2 ? 500 : 204);
    const before = await metricValue(
      t.http,
      'webhook_deliveries_total{event="stream.started",result="failed"}',
    );
    const s = await createStream(t.http, owner.token, 'Flaky receiver');
    expect((await publish(s.id, s.key)).status).toBe(200);

    const log = await until(
      async () => {
        const items = await deliveries(sub.id);
        return items.some((d) => d.status === 'delivered') ? items : undefined;
      },
      { message: 'never delivered' },
    );
    expect(at(sub.path)).toHaveLength(3);
    const ids = new Set(at(sub.path).map((r) => r.headers['onair-delivery']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBe(at(sub.path)[0].body.id);
    expect(log.map((d) => [d.attempt, d.status, d.responseStatus])).toEqual([
      [3, 'delivered', 204],
      [2, 'failed', 500],
      [1, 'failed', 500],
    ]);
    expect(log[1].error).toBe('HTTP 500');
    expect(new Set(log.map((d) => d.eventId)).size).toBe(1);
    expect(
      await metricValue(t.http, 'webhook_deliveries_total{event="stream.started",result="failed"}'),
    ).toBe(before + 2);
  });

  it(`gives up after WEBHOOK_MAX_ATTEMPTS (${MAX_ATTEMPTS}) failed attempts`, async () => {
    const sub = await subscribe(owner.token, ['stream.started']);
    receiver.respond = (r) => (r.path === sub.path ? 503 : 200);
    const before = await metricValue(
      t.http,
      'webhook_deliveries_total{event="stream.started",result="gave_up"}',
    );
    const s = await createStream(t.http, owner.token, 'Dead receiver');
    expect((await publish(s.id, s.key)).status).toBe(200);

    const log = await until(
      async () => {
        const items = await deliveries(sub.id);
        return items.some((d) => d.status === 'gave_up') ? items : undefined;
      },
      { message: 'never gave up' },
    );
    expect(log.map((d) => [d.attempt, d.status])).toEqual([
      [3, 'gave_up'],
      [2, 'failed'],
      [1, 'failed'],
    ]);
    expect(at(sub.path)).toHaveLength(MAX_ATTEMPTS);
    expect(
      await metricValue(
        t.http,
        'webhook_deliveries_total{event="stream.started",result="gave_up"}',
      ),
    ).toBe(before + 1);
  });

  it('never follows a redirect: a 3xx is a failed attempt', async () => {
    const sub = await subscribe(owner.token, ['stream.started']);
    receiver.respond = (r) =>
      r.path === sub.path ? { status: 302, headers: { location: `${sub.path}/moved` } } : 200;
    const s = await createStream(t.http, owner.token, 'Redirecting receiver');
    expect((await publish(s.id, s.key)).status).toBe(200);
    const first = await until(async () => (await deliveries(sub.id))[0], {
      message: 'no attempt recorded',
    });
    expect(first).toMatchObject({
      attempt: 1,
      status: 'failed',
      responseStatus: 302,
      error: 'redirect not followed (HTTP 302)',
    });
    expect(receiver.received.filter((r) => r.path === `${sub.path}/moved`)).toHaveLength(0);
  });

  it('stops delivering to a deleted webhook', async () => {
    const sub = await subscribe(owner.token, ['stream.started']);
    receiver.respond = (r) => (r.path === sub.path ? 500 : 200);
    const s = await createStream(t.http, owner.token, 'Deleted webhook');
    expect((await publish(s.id, s.key)).status).toBe(200);
    await until(() => at(sub.path).length >= 1, { message: 'first attempt not made' });
    expect((await t.http.delete(`/api/v1/webhooks/${sub.id}`, owner.token)).status).toBe(204);
    const made = at(sub.path).length;
    // Another subscription receiving a later event proves the worker kept running meanwhile.
    const probe = await subscribe(owner.token, ['stream.started']);
    const s2 = await createStream(t.http, owner.token, 'Probe');
    expect((await publish(s2.id, s2.key)).status).toBe(200);
    await until(() => at(probe.path).length === 1, { message: 'probe not delivered' });
    expect(at(sub.path).length).toBeLessThanOrEqual(made + 1);
    expect((await t.http.get(`/api/v1/webhooks/${sub.id}/deliveries`, owner.token)).status).toBe(
      404,
    );
  });

  it('prunes finished deliveries, their log and their events after the retention period, never pending ones', async () => {
    const done = await subscribe(owner.token, ['stream.started']);
    const s = await createStream(t.http, owner.token, 'Pruned');
    expect((await publish(s.id, s.key)).status).toBe(200);
    const delivered = await until(
      async () => (await deliveries(done.id)).find((d) => d.status === 'delivered'),
      { message: 'not delivered' },
    );
    // A delivery still owed (its next attempt far ahead), to an otherwise idle subscription.
    const ds = t.app.get(DataSource);
    const stuck = await subscribe(owner.token, ['stream.ended']);
    const owedEvent = randomUUID();
    const owedDelivery = randomUUID();
    const old = new Date(Date.now() - 1000);
    await ds.getRepository(WebhookEventEntity).insert({
      id: owedEvent,
      type: 'stream.ended',
      ownerId: owner.id,
      data: '{}',
      createdAt: old,
      dispatchedAt: old,
    });
    await ds.getRepository(WebhookDeliveryEntity).insert({
      id: owedDelivery,
      eventId: owedEvent,
      subscriptionId: stuck.id,
      status: 'pending',
      attempts: 1,
      nextAttemptAt: new Date(Date.now() + 86_400_000),
      leaseUntil: null,
      leaseToken: null,
      createdAt: old,
    });

    // As if the retention period had passed for everything written so far.
    await t.app
      .get(WebhookDeliveryWorker)
      .prune(new Date(Date.now() + WEBHOOK_RETENTION_MS + 60_000));

    expect(await deliveries(done.id)).toEqual([]);
    expect(await ds.getRepository(WebhookDeliveryEntity).countBy({ subscriptionId: done.id })).toBe(
      0,
    );
    expect(await ds.getRepository(WebhookEventEntity).countBy({ id: delivered.eventId })).toBe(0);
    expect(await ds.getRepository(WebhookDeliveryEntity).countBy({ id: owedDelivery })).toBe(1);
    expect(await ds.getRepository(WebhookEventEntity).countBy({ id: owedEvent })).toBe(1);
    expect((await t.http.delete(`/api/v1/webhooks/${stuck.id}`, owner.token)).status).toBe(204);
  });

  describe('routes', () => {
    it('needs a token for every route (401)', async () => {
      const id = randomUUID();
      expect(
        (await t.http.post('/api/v1/webhooks', { url: receiver.url, events: ['stream.started'] }))
          .status,
      ).toBe(401);
      expect((await t.http.get('/api/v1/webhooks')).status).toBe(401);
      expect((await t.http.delete(`/api/v1/webhooks/${id}`)).status).toBe(401);
      expect((await t.http.get(`/api/v1/webhooks/${id}/deliveries`)).status).toBe(401);
      expect((await t.http.get('/api/v1/webhooks', 'not-a-token')).status).toBe(401);
    });

    it('lets only the owner or an admin delete a webhook or read its deliveries (403), 404 for unknown ids', async () => {
      const sub = await subscribe(owner.token);
      const other = await t.http.user('whintruder');
      const del = await t.http.delete(`/api/v1/webhooks/${sub.id}`, other.token);
      expect(del.status).toBe(403);
      expect(del.body.code).toBe('FORBIDDEN');
      expect((await t.http.get(`/api/v1/webhooks/${sub.id}/deliveries`, other.token)).status).toBe(
        403,
      );
      expect((await t.http.get(`/api/v1/webhooks/${sub.id}/deliveries`, admin)).status).toBe(200);
      const unknown = randomUUID();
      expect((await t.http.delete(`/api/v1/webhooks/${unknown}`, owner.token)).status).toBe(404);
      expect((await t.http.get(`/api/v1/webhooks/${unknown}/deliveries`, owner.token)).status).toBe(
        404,
      );
      expect((await t.http.delete('/api/v1/webhooks/not-a-uuid', owner.token)).status).toBe(400);
      expect((await t.http.delete(`/api/v1/webhooks/${sub.id}`, admin)).status).toBe(204);
      expect((await t.http.delete(`/api/v1/webhooks/${sub.id}`, owner.token)).status).toBe(404);
    });

    it('lists own webhooks without secrets (an admin sees all), newest first with cursor paging', async () => {
      const u = await t.http.user('whlister');
      const a = await subscribe(u.token, ['stream.started']);
      const b = await subscribe(u.token, ['stream.ended', 'recording.ready']);
      const page1 = await t.http.get('/api/v1/webhooks?limit=1', u.token);
      expect(page1.status).toBe(200);
      expect(page1.body.items).toEqual([
        {
          id: b.id,
          url: b.url,
          events: ['stream.ended', 'recording.ready'],
          ownerId: u.id,
          createdAt: expect.any(String),
        },
      ]);
      expect(page1.body.nextCursor).toEqual(expect.any(String));
      const page2 = await t.http.get(
        `/api/v1/webhooks?limit=1&cursor=${page1.body.nextCursor}`,
        u.token,
      );
      expect(page2.body.items.map((w: { id: string }) => w.id)).toEqual([a.id]);
      expect(page2.body.nextCursor).toBeNull();
      expect(page1.text).not.toContain('secret');
      const all = await t.http.get('/api/v1/webhooks?limit=100', admin);
      expect(all.body.items.map((w: { id: string }) => w.id)).toEqual(
        expect.arrayContaining([a.id, b.id]),
      );
      const others = await t.http.get('/api/v1/webhooks?limit=100', owner.token);
      expect(others.body.items.map((w: { id: string }) => w.id)).not.toContain(a.id);
      expect((await t.http.get('/api/v1/webhooks?limit=0', u.token)).status).toBe(400);
      expect((await t.http.get('/api/v1/webhooks?cursor=bad!', u.token)).status).toBe(400);
    });

    it.each([
      ['an ftp url', { url: 'ftp://example.com/hook', events: ['stream.started'] }],
      ['a url that is not a URL', { url: 'not a url', events: ['stream.started'] }],
      [
        'a url over 2048 characters',
        { url: `http://127.0.0.1/${'a'.repeat(2040)}`, events: ['stream.started'] },
      ],
      [
        'a url with credentials',
        { url: 'http://user:pw@127.0.0.1/hook', events: ['stream.started'] },
      ],
      [
        'a metadata host name',
        { url: 'http://metadata.google.internal/hook', events: ['stream.started'] },
      ],
      [
        'a metadata address',
        { url: 'http://169.254.169.254/latest/meta-data', events: ['stream.started'] },
      ],
      ['no events', { url: 'http://127.0.0.1/hook', events: [] }],
      ['an unknown event', { url: 'http://127.0.0.1/hook', events: ['stream.deleted'] }],
      [
        'a repeated event',
        { url: 'http://127.0.0.1/hook', events: ['stream.started', 'stream.started'] },
      ],
      ['events that are not a list', { url: 'http://127.0.0.1/hook', events: 'stream.started' }],
      ['a missing url', { events: ['stream.started'] }],
      [
        'an unknown property',
        { url: 'http://127.0.0.1/hook', events: ['stream.started'], secret: 'mine' },
      ],
    ])('refuses %s (400)', async (_name, body) => {
      const r = await t.http.post('/api/v1/webhooks', body, owner.token);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
    });
  });
});

describe('webhooks without WEBHOOK_ALLOW_PRIVATE', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let owner: { token: string; id: string };

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await startApp('embedded', { WEBHOOK_POLL_INTERVAL_MS: '100', WEBHOOK_MAX_ATTEMPTS: '1' });
    owner = await t.http.user('whguard');
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.stop();
  });

  it.each([
    `http://127.0.0.1:PORT/hook`,
    'http://localhost:PORT/hook',
    'http://[::1]:PORT/hook',
    'http://[::ffff:127.0.0.1]:PORT/hook',
    'http://10.1.2.3/hook',
    'http://192.168.1.1/hook',
    'http://2130706433:PORT/hook',
  ])('refuses %s at create (400)', async (url) => {
    const r = await t.http.post(
      '/api/v1/webhooks',
      { url: url.replace('PORT', String(receiver.port)), events: ['stream.started'] },
      owner.token,
    );
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/not allowed/);
  });

  it('refuses to deliver to a loopback address even when the subscription already exists', async () => {
    // As if the name had resolved to a public address at create and was re-pointed since.
    const id = randomUUID();
    await t.app.get(DataSource).getRepository(WebhookSubscriptionEntity).insert({
      id,
      ownerId: owner.id,
      url: receiver.url,
      events: 'stream.started',
      secret: 'whsec_test',
      createdAt: new Date(),
    });
    const s = await createStream(t.http, owner.token, 'Guarded');
    expect((await nginxHook(t.http, nginxBody('publish', s.id, `key=${s.key}`))).status).toBe(200);
    const attempt = await until(
      async () =>
        (await t.http.get(`/api/v1/webhooks/${id}/deliveries`, owner.token)).body.items?.[0],
      { message: 'no attempt recorded' },
    );
    expect(attempt).toMatchObject({ status: 'gave_up', responseStatus: null });
    expect(attempt.error).toMatch(/127\.0\.0\.1, which is not allowed \(loopback\)/);
    expect(receiver.received).toHaveLength(0);
  });
});
