import { Logger } from '@nestjs/common';
import type { PlayableStreams } from '../common/ports';
import { fakeConfig, fakeMetrics } from '../../test/helpers/fakes';
import { PlayUrlSigner } from '../streams/play-url.signer';
import { MemoryViewerSessionStore } from './memory-viewer-session.store';
import { PlaybackUrls } from './playback-urls';
import { PlaybackService } from './playback.service';
import { StreamLiveCache } from './stream-live.cache';
import { ViewerSessions } from './viewer-sessions.service';

const ID = '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b';
const TIMEOUT_MS = 100;

function setup(findPlayable: PlayableStreams['findPlayable']) {
  const config = fakeConfig({
    hooks: { secret: 'h'.repeat(32), generated: false, publishTimeoutMs: TIMEOUT_MS },
    playUrl: { secret: 'p'.repeat(32), generated: false, ttlSec: 600 },
    playSessionTtlSec: 30,
    redis: { keyPrefix: '' },
    media: { hlsBaseUrl: 'http://localhost:8080/hls', rtmpPlayUrl: 'rtmp://localhost/live' },
  });
  const streams = { findPlayable: jest.fn(findPlayable) };
  const metrics = fakeMetrics();
  const store = new MemoryViewerSessionStore();
  const signer = new PlayUrlSigner(config);
  const live = new StreamLiveCache(streams, config);
  const viewers = new ViewerSessions(config, store, metrics);
  const service = new PlaybackService(
    streams,
    new PlaybackUrls(signer, config),
    signer,
    live,
    viewers,
    metrics,
  );
  const session = () => {
    const s = signer.issue(ID);
    return { sid: s.sid, exp: String(s.exp), sig: s.sig };
  };
  return { service, streams, metrics, store, live, session };
}

const liveStream = () =>
  Promise.resolve({ status: 'live' as const, access: 'public' as const, ownerId: ID });

describe('PlaybackService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('refuses play within the hook timeout when the stream state cannot be read', async () => {
    const { service, session } = setup(() => new Promise(() => undefined));
    const started = Date.now();
    await expect(service.authorizePlay('nginx-rtmp', ID, session(), 'rtmp', 'ttl')).resolves.toBe(
      false,
    );
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 500);
    const failing = setup(() => Promise.reject(new Error('database is down')));
    await expect(failing.service.checkHls(`/hls/${ID}.m3u8?sid=a`)).resolves.toBe(false);
    const s = failing.session();
    await expect(
      failing.service.checkHls(`/hls/${ID}.m3u8?sid=${s.sid}&exp=${s.exp}&sig=${s.sig}`),
    ).resolves.toBe(false);
    expect(failing.metrics.playbackChecked).toHaveBeenLastCalledWith(false);
  });

  it('reads a stream once for many checks, and follows its live/offline events without reading', async () => {
    const { service, streams, live, session } = setup(liveStream);
    const s = session();
    const uri = `/hls/${ID}-3.ts?sid=${s.sid}&exp=${s.exp}&sig=${s.sig}`;
    const answers = await Promise.all(Array.from({ length: 50 }, () => service.checkHls(uri)));
    expect(answers.every(Boolean)).toBe(true);
    expect(streams.findPlayable).toHaveBeenCalledTimes(1);
    live.onOffline({ streamId: ID, roomId: null });
    await expect(service.checkHls(uri)).resolves.toBe(false);
    live.onLive({ streamId: ID, roomId: null });
    await expect(service.checkHls(uri)).resolves.toBe(true);
    expect(streams.findPlayable).toHaveBeenCalledTimes(1);
  });

  it('counts a session start once per protocol, and holds an SRS play until the session expires', async () => {
    const { service, metrics, store, session } = setup(liveStream);
    const s = session();
    await service.authorizePlay('srs', ID, s, 'flv', 'exp');
    await service.authorizePlay('srs', ID, s, 'flv', 'exp');
    expect(metrics.playbackSessionStarted).toHaveBeenCalledTimes(1);
    expect(metrics.playbackSessionStarted).toHaveBeenCalledWith('flv');
    // Far beyond PLAY_SESSION_TTL_SEC, still before exp: still counted (SRS reports on_stop).
    expect(await store.count(ID, Date.now() + 300_000)).toBe(1);
    expect(await store.count(ID, Number(s.exp) * 1000)).toBe(0);
    await service.playDone(ID, s);
    expect(await store.count(ID, Date.now())).toBe(0);
  });
});
