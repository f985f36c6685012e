/**
 * A real nginx-rtmp (rendered from docker/nginx-rtmp/nginx.conf) calls OnAir's hooks while
 * ffmpeg publishes and plays. OnAir runs in this process: nothing here may block the event
 * loop (no execSync/spawnSync) while nginx waits on a hook this process serves.
 */
import * as fs from 'node:fs';
import { startApp, TestApp } from '../helpers/app';
import {
  FfmpegProcess,
  mediaToolsAvailable,
  NginxRtmpInstance,
  playRtmp,
  startFfmpegPublisher,
  startNginxRtmp,
  waitFor,
} from '../helpers/media';
import { isStrict, reportSkip } from '../helpers/services';
import { createStream, getStream, metricValue, playArgs } from './hook-client';

// The tools are system packages (.ci/run installs them); a test run installs nothing.
const present = mediaToolsAvailable();
const INSTALL = 'apt-get install -y nginx libnginx-mod-rtmp ffmpeg';
if (!present.ok && isStrict()) {
  describe('nginx-rtmp media e2e under CI / REQUIRE_SERVICES=1', () => {
    it(`has the media tools installed (${INSTALL})`, () => {
      expect(present.missing).toEqual([]);
    });
  });
} else if (!present.ok) {
  reportSkip(
    'nginx-rtmp media e2e',
    `missing ${present.missing.join(', ')}. Install them with: ${INSTALL} (REQUIRE_SERVICES=1 makes this a failure)`,
  );
} else describeMedia();

function describeMedia(): void {
  describe('nginx-rtmp + ffmpeg against the hooks (embedded)', () => {
    let t: TestApp;
    let media: NginxRtmpInstance;
    let user: { token: string; id: string };
    const publishers: FfmpegProcess[] = [];

    beforeAll(async () => {
      t = await startApp('embedded', { MAX_STREAMS_PER_USER: '100' });
      user = await t.http.user('media');
      media = await startNginxRtmp({
        hookUrl: `${t.url}/api/v1/hooks/nginx-rtmp`,
        hookSecret: t.env.HOOK_SECRET,
      });
    }, 60_000);

    /** Publishes OnAir's nginx-rtmp hook refused, from its own metric. */
    const rejectedPublishes = () =>
      metricValue(t.http, 'stream_publish_attempts_total{result="rejected",server="nginx-rtmp"}');

    afterEach(async () => {
      await Promise.all(publishers.splice(0).map((p) => p.stop()));
    });

    afterAll(async () => {
      await media?.stop();
      await t?.close();
    });

    const publish = (id: string, key: string) => {
      const p = startFfmpegPublisher(`${media.rtmpBase}/${id}?key=${key}`);
      publishers.push(p);
      return p;
    };
    const status = async (id: string) => (await getStream(t.http, id)).status as string;
    const waitStatus = (id: string, want: string, what: string) =>
      waitFor(async () => (await status(id)) === want, {
        timeoutMs: 15_000,
        message: `${what}\n${media.logs().slice(-3000)}`,
      });
    /** Resolves with ffmpeg's exit code, or 'running' if it is still publishing after `ms`. */
    const exitWithin = async (p: FfmpegProcess, ms: number): Promise<number | null | 'running'> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          p.exited,
          new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), ms))),
        ]);
      } finally {
        clearTimeout(timer);
      }
    };

    it('goes live with the right key, writes HLS, and goes idle when the publisher stops', async () => {
      const s = await createStream(t.http, user.token);
      const pub = publish(s.id, s.key);
      await waitStatus(s.id, 'live', `stream never went live; ffmpeg: ${pub.stderr()}`);
      const view = await getStream(t.http, s.id);
      expect(Date.parse(view.startedAt)).toBeGreaterThan(Date.now() - 60_000);
      await waitFor(
        () => {
          const files = fs.readdirSync(media.hlsDir);
          return (
            files.includes(`${s.id}.m3u8`) &&
            files.some((f) => f.startsWith(`${s.id}-`) && f.endsWith('.ts'))
          );
        },
        { timeoutMs: 15_000, message: 'no HLS playlist and segment appeared' },
      );
      expect(fs.readFileSync(`${media.hlsDir}/${s.id}.m3u8`, 'utf8')).toContain('#EXTM3U');

      await pub.stop();
      await waitStatus(s.id, 'idle', 'stream stayed live after the publisher stopped');
      expect((await getStream(t.http, s.id)).endedAt).not.toBeNull();
    });

    it('refuses a wrong key: ffmpeg exits 1 and the stream stays idle', async () => {
      const s = await createStream(t.http, user.token);
      const other = await createStream(t.http, user.token);
      const before = await rejectedPublishes();
      const pub = publish(s.id, other.key);
      expect(await exitWithin(pub, 15_000)).toBe(1);
      expect(await status(s.id)).toBe('idle');
      // OnAir refused it (not nginx, ffmpeg or the network).
      expect((await rejectedPublishes()) - before).toBe(1);
    });

    it('refuses a rotated key and accepts the new one', async () => {
      const s = await createStream(t.http, user.token);
      const rotated = await t.http.post(`/api/v1/streams/${s.id}/key`, undefined, user.token);
      expect(rotated.status).toBe(200);
      const before = await rejectedPublishes();
      const old = publish(s.id, s.key);
      expect(await exitWithin(old, 15_000)).toBe(1);
      expect(await status(s.id)).toBe('idle');
      expect((await rejectedPublishes()) - before).toBe(1);
      publish(s.id, rotated.body.streamKey);
      await waitStatus(s.id, 'live', 'new key was not accepted');
    });

    it('refuses a second publisher while the first is live, and the first stays live', async () => {
      const s = await createStream(t.http, user.token);
      const first = publish(s.id, s.key);
      await waitStatus(s.id, 'live', 'first publisher never went live');
      const before = await rejectedPublishes();
      const second = publish(s.id, s.key);
      expect(await exitWithin(second, 15_000)).toBe(1);
      expect((await rejectedPublishes()) - before).toBe(1);
      // The refused session's publish_done (if any) must not take the stream offline.
      expect(await exitWithin(first, 1500)).toBe('running');
      expect(await status(s.id)).toBe('live');
    });

    it('plays with a signed URL (counted while playing) and refuses a forged one', async () => {
      const s = await createStream(t.http, user.token);
      publish(s.id, s.key);
      await waitStatus(s.id, 'live', 'stream never went live');
      const { exp, sig } = playArgs(await getStream(t.http, s.id));

      const forged = await playRtmp(
        `${media.rtmpBase}/${s.id}?exp=${exp}&sig=${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
      );
      expect(forged.code).toBe(1);
      expect((await getStream(t.http, s.id)).viewers).toBe(0);

      const playing = playRtmp(`${media.rtmpBase}/${s.id}?exp=${exp}&sig=${sig}`, { seconds: 4 });
      await waitFor(async () => (await getStream(t.http, s.id)).viewers === 1, {
        timeoutMs: 10_000,
        message: 'the player was not counted',
      });
      const played = await playing;
      expect({ code: played.code, stderr: played.stderr.slice(-500) }).toEqual({
        code: 0,
        stderr: expect.any(String),
      });
      await waitFor(async () => (await getStream(t.http, s.id)).viewers === 0, {
        timeoutMs: 10_000,
        message: 'the viewer was not counted down after play_done',
      });
    });
  });
}
