/**
 * Live state you can trust: nginx-rtmp update_publish, cutting live publishers (nginx-rtmp by
 * the next update, SRS and MediaMTX through their APIs — here stand-in HTTP servers that
 * record the calls: there is no real SRS or MediaMTX on the test machine), and the sweeper.
 */
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { ProductEvent, STREAM_OFFLINE, StreamStateEvent } from '../../src/common/ports';
import { PublishingService } from '../../src/streams/publishing.service';
import { startApp, TestApp } from '../helpers/app';
import { Mode } from '../helpers/modes';
import { RecordingServer, startRecordingServer } from '../helpers/recording-server';
import { hasServices } from '../helpers/services';
import { until } from '../helpers/wait';
import {
  createStream,
  getStream,
  mediamtxHook,
  metricValue,
  nginxBody,
  nginxHook,
  playSession,
  srsBody,
  srsHook,
} from '../media/hook-client';

const modes: Mode[] = hasServices() ? ['embedded', 'clustered'] : ['embedded'];
if (!hasServices())
  process.stderr.write('!!! SKIPPED clustered live-state e2e: needs PostgreSQL and Redis\n');

const STALE_SEC = 2;
const ADMIN = { username: 'livestateadmin', password: 'admin-password-123' };
const CONN = '9a3c1d2e-7b4f-4c5d-8e6f-1a2b3c4d5e6f';
const PUBLISHER =
  'app=live&flashver=FMLE/3.0%20(compatible%3B%20Lavf59.27&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1';
const cut = (reason: string) => `publishers_cut_total{reason="${reason}"}`;

describe.each(modes)('live state (%s)', (mode) => {
  let t: TestApp;
  let srs: RecordingServer;
  let mtx: RecordingServer;
  let owner: { token: string; id: string };

  beforeAll(async () => {
    [srs, mtx] = await Promise.all([startRecordingServer(), startRecordingServer()]);
    t = await startApp(mode, {
      MAX_STREAMS_PER_USER: '1000',
      THROTTLE_LIMIT: '100000',
      STREAM_STALE_SEC: String(STALE_SEC),
      SRS_API_URL: srs.url,
      MEDIAMTX_API_URL: mtx.url,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
    });
    owner = await t.http.user('live');
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([srs?.close(), mtx?.close()]);
  });
  beforeEach(() => {
    srs.reply(() => ({ status: 200, body: '{"code":0}' }));
    mtx.reply(() => ({ status: 200 }));
  });

  const publish = (id: string, key: string, clientid = '3') =>
    nginxHook(t.http, nginxBody('publish', id, `key=${key}`, clientid));
  /** The body nginx-rtmp 1.2.2 posts every notify_update_timeout for a publisher. */
  const update = (id: string, key: string, clientid = '3') =>
    nginxHook(
      t.http,
      `${PUBLISHER}&clientid=${clientid}&call=update_publish&time=10&timestamp=10013&name=${id}&key=${key}`,
    );
  const adminToken = async () =>
    (await t.http.post('/api/v1/auth/login', ADMIN)).body.accessToken as string;

  describe('nginx-rtmp update_publish', () => {
    it('confirms the accepted publisher with its current key, and nobody else', async () => {
      const s = await createStream(t.http, owner.token);
      expect((await publish(s.id, s.key)).status).toBe(200);
      const ok = await update(s.id, s.key);
      expect({ status: ok.status, text: ok.text }).toEqual({ status: 200, text: '' });
      expect((await update(s.id, s.key, '4')).status).toBe(403);
      const other = await createStream(t.http, owner.token);
      expect((await update(s.id, other.key)).status).toBe(403);
      expect((await update(other.id, other.key)).status).toBe(403);
      expect((await getStream(t.http, s.id)).status).toBe('live');
    });

    it('refuses the update once the key was rotated, and counts the cut', async () => {
      const s = await createStream(t.http, owner.token);
      expect((await publish(s.id, s.key)).status).toBe(200);
      const before = await metricValue(t.http, cut('key_rotated'));
      const rotated = await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, owner.token);
      expect(rotated.status).toBe(200);
      expect((await update(s.id, s.key)).status).toBe(403);
      // Still the live session until nginx-rtmp reports it done; the new key is no way around it.
      expect((await update(s.id, rotated.body.streamKey)).status).toBe(200);
      expect(await metricValue(t.http, cut('key_rotated'))).toBe(before + 1);
    });

    it('refuses the update once the stream was deleted', async () => {
      const s = await createStream(t.http, owner.token);
      expect((await publish(s.id, s.key)).status).toBe(200);
      const before = await metricValue(t.http, cut('deleted'));
      expect((await t.http.delete(`/api/v1/streams/${s.id}`, owner.token)).status).toBe(204);
      expect((await update(s.id, s.key)).status).toBe(403);
      expect(await metricValue(t.http, cut('deleted'))).toBe(before + 1);
    });

    it('refuses the update and any new publish once the owner is disabled', async () => {
      const u = await t.http.user('dis');
      const s = await createStream(t.http, u.token);
      const idle = await createStream(t.http, u.token);
      expect((await publish(s.id, s.key)).status).toBe(200);
      const before = await metricValue(t.http, cut('user_disabled'));
      const r = await t.http.post(`/api/v1/users/${u.id}/disable`, undefined, await adminToken());
      expect(r.status).toBeLessThan(300);
      expect((await update(s.id, s.key)).status).toBe(403);
      expect((await publish(idle.id, idle.key, '9')).status).toBe(403);
      await until(async () => (await metricValue(t.http, cut('user_disabled'))) === before + 1, {
        message: 'the cut of the disabled owner was not counted',
      });
    });
  });

  describe('cutting SRS and MediaMTX publishers through their APIs', () => {
    it('kicks an SRS publisher (DELETE /api/v1/clients/<client_id>) when its key is rotated', async () => {
      const s = await createStream(t.http, owner.token);
      const clientId = `srs${Date.now().toString(36)}`;
      expect(
        (await srsHook(t.http, srsBody('on_publish', s.id, `?key=${s.key}`, clientId))).body,
      ).toEqual({ code: 0 });
      expect(
        (await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, owner.token)).status,
      ).toBe(200);
      await until(() => srs.calls.some((c) => c.path === `/api/v1/clients/${clientId}`), {
        message: 'SRS was never asked to kick the publisher',
      });
      expect(srs.calls.find((c) => c.path === `/api/v1/clients/${clientId}`)?.method).toBe(
        'DELETE',
      );
    });

    it('kicks a MediaMTX RTMP publisher (POST /v3/rtmpconns/kick/<id>) when its stream is deleted', async () => {
      const s = await createStream(t.http, owner.token);
      const id = CONN.replace(/^.{8}/, Date.now().toString(16).slice(-8).padStart(8, '0'));
      const ingest = new URL(s.body.ingest.url as string);
      const body = {
        user: '',
        password: '',
        token: '',
        ip: '127.0.0.1',
        action: 'publish',
        path: ingest.pathname.slice(1),
        protocol: 'rtmp',
        id,
        query: ingest.search.slice(1),
      };
      expect((await mediamtxHook(t.http, body)).status).toBe(200);
      expect((await t.http.delete(`/api/v1/streams/${s.id}`, owner.token)).status).toBe(204);
      await until(() => mtx.calls.some((c) => c.path === `/v3/rtmpconns/kick/${id}`), {
        message: 'MediaMTX was never asked to kick the publisher',
      });
      expect(mtx.calls.find((c) => c.path === `/v3/rtmpconns/kick/${id}`)?.method).toBe('POST');
    });

    it('answers the REST call at once even when the media server API hangs, and counts the failure', async () => {
      srs.reply(() => 'hang');
      const s = await createStream(t.http, owner.token);
      const clientId = `hang${Date.now().toString(36)}`;
      await srsHook(t.http, srsBody('on_publish', s.id, `?key=${s.key}`, clientId));
      const failures = 'publisher_cut_failures_total{server="srs"}';
      const before = await metricValue(t.http, failures);
      const started = Date.now();
      const r = await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, owner.token);
      expect(r.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1000);
      await until(async () => (await metricValue(t.http, failures)) === before + 1, {
        timeoutMs: 6000,
        message: 'the hanging kick was not given up and counted',
      });
    });
  });

  describe('MediaMTX recipe (docs/media-servers.md)', () => {
    it('accepts the documented external-auth bodies for the ingest URL OnAir hands out', async () => {
      const s = await createStream(t.http, owner.token);
      // rtmp://host/live/<id>?key=… reaches MediaMTX's auth hook as path live/<id>.
      const ingest = new URL(s.body.ingest.url as string);
      const documented = (action: string, query: string) => ({
        user: '',
        password: '',
        token: '',
        ip: '127.0.0.1',
        action,
        path: ingest.pathname.slice(1),
        protocol: 'rtmp',
        id: CONN,
        query,
      });
      expect(ingest.pathname).toBe(`/live/${s.id}`);
      expect(
        (await mediamtxHook(t.http, documented('publish', ingest.search.slice(1)))).status,
      ).toBe(200);
      expect((await getStream(t.http, s.id)).status).toBe('live');
      const { sid, exp, query } = await playSession(t.http, s.id);
      expect((await mediamtxHook(t.http, documented('read', query))).status).toBe(200);
      expect(
        (await mediamtxHook(t.http, documented('read', `sid=${sid}&exp=${exp}&sig=x`))).status,
      ).toBe(401);
    });
  });

  describe('sweeper', () => {
    it('sweeps a live stream nothing confirmed for STREAM_STALE_SEC back to idle, once', async () => {
      const s = await createStream(t.http, owner.token);
      const offline: StreamStateEvent[] = [];
      // Every stream that goes offline meanwhile: only the sweeper ends streams during this test
      // (earlier tests may have left silent live streams for it too).
      const anyOffline: string[] = [];
      const onOffline = (e: StreamStateEvent) => {
        anyOffline.push(e.streamId);
        if (e.streamId === s.id) offline.push(e);
      };
      const bus = t.app.get(EventEmitter2);
      bus.on(STREAM_OFFLINE, onOffline);
      try {
        const before = await metricValue(t.http, 'streams_swept_total');
        const published = Date.now();
        expect((await publish(s.id, s.key)).status).toBe(200);
        await until(async () => (await getStream(t.http, s.id)).status === 'idle', {
          timeoutMs: (STALE_SEC + 5) * 1000,
          message: 'the silent stream was never swept',
        });
        expect(Date.now() - published).toBeGreaterThanOrEqual(STALE_SEC * 1000);
        const view = await getStream(t.http, s.id);
        expect(view.endedAt).not.toBeNull();
        // Each sweep counts once: this stream's, and any other silent stream's in the same window.
        expect(anyOffline).toContain(s.id);
        expect(await metricValue(t.http, 'streams_swept_total')).toBe(before + anyOffline.length);
        expect(offline).toEqual([{ streamId: s.id, roomId: null }]);
        // Swept means the publisher is no longer accepted: its next update is refused.
        expect((await update(s.id, s.key)).status).toBe(403);
      } finally {
        bus.off(STREAM_OFFLINE, onOffline);
      }
    });

    it('does not sweep a stream that update_publish keeps confirming', async () => {
      const s = await createStream(t.http, owner.token);
      expect((await publish(s.id, s.key)).status).toBe(200);
      const until2xStale = Date.now() + 2 * STALE_SEC * 1000 + 500;
      while (Date.now() < until2xStale) {
        expect((await update(s.id, s.key)).status).toBe(200);
        // A publisher's update cadence (well inside STREAM_STALE_SEC): time passing is the point.
        await new Promise((r) => setTimeout(r, 400));
      }
      expect((await getStream(t.http, s.id)).status).toBe('live');
    });

    it('appends stream.ended in the same transaction as the sweep', async () => {
      const service = t.app.get(PublishingService);
      const appended: ProductEvent[] = [];
      const refused: string[] = [];
      let fail = true;
      const outbox = {
        append: async (manager: EntityManager, events: ProductEvent[]) => {
          await manager.query('SELECT 1');
          if (fail) {
            refused.push(...events.map((e) => String(e.data.streamId)));
            throw new Error('outbox write failed');
          }
          appended.push(...events);
        },
      };
      // Stands in for the webhooks feature's outbox (looked up optionally at start-up).
      Object.assign(service, { outbox });
      try {
        const s = await createStream(t.http, owner.token);
        expect((await publish(s.id, s.key)).status).toBe(200);
        await until(() => refused.includes(s.id), {
          timeoutMs: (STALE_SEC + 5) * 1000,
          message: 'the sweep never tried to append stream.ended',
        });
        // The outbox write failed, so the sweep rolled back: still live.
        expect((await getStream(t.http, s.id)).status).toBe('live');
        fail = false;
        await until(async () => (await getStream(t.http, s.id)).status === 'idle', {
          timeoutMs: 5000,
          message: 'the stream was not swept once the outbox worked',
        });
        expect(appended.filter((e) => e.data.streamId === s.id)).toEqual([
          {
            type: 'stream.ended',
            ownerId: owner.id,
            data: expect.objectContaining({ streamId: s.id, reason: 'stale' }),
          },
        ]);
      } finally {
        Object.assign(service, { outbox: undefined });
      }
    });
  });
});
