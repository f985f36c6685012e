import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DomainEventBus } from '../common/domain-event-bus';
import type { EntityManager } from 'typeorm';
import { ServiceUnavailableError } from '../common/errors';
import { ProductEventOutbox, STREAM_OFFLINE } from '../common/ports';
import {
  fakeConfig,
  fakeMetrics,
  fakeModuleRef,
  fakeOf,
  type FakeImpl,
} from '../../test/helpers/fakes';
import { PlaybackUrls } from '../playback/playback-urls';
import { ViewerSessions } from '../playback/viewer-sessions.service';
import { PlayUrlSigner } from './play-url.signer';
import { PublisherCutter } from './publisher-cutter';
import type { StreamEntity } from './stream.entity';
import { sweepIntervalMs } from './stream-sweeper.job';
import { hashStreamKey } from './stream-key';
import { PublishingService } from './publishing.service';
import { StreamViewCache } from './stream-view.cache';
import { StreamsRepository } from './streams.repository';
import { StreamsService } from './streams.service';

const ID = '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b';
const OWNER = '7c1d2e3f-4a5b-4e5f-8a9b-0c1d2e3f4a5b';
const KEY = 'q3v9Jd0T0m2lB6yZ8xWcN1rK4pH7sF5eA0uGiOoLkMn';

function setup(
  repoImpl: FakeImpl<StreamsRepository>,
  opts: { staleSec?: number; outbox?: ProductEventOutbox } = {},
) {
  const config = fakeConfig({
    hooks: { secret: 'x'.repeat(32), generated: false, publishTimeoutMs: 100 },
    playUrl: { secret: 'p'.repeat(32), generated: false, ttlSec: 60 },
    media: { rtmpIngestUrl: 'rtmp://h/live', hlsBaseUrl: 'http://h/hls', flvBaseUrl: 'http://h' },
    liveState: { streamStaleSec: opts.staleSec ?? 60 },
  });
  const metrics = fakeMetrics();
  const events = new EventEmitter2();
  const offline = jest.fn();
  events.on(STREAM_OFFLINE, offline);
  const moduleRef = fakeModuleRef(opts.outbox ? [[ProductEventOutbox, opts.outbox]] : []);
  const cutter = fakeOf(PublisherCutter, { cut: jest.fn(() => Promise.resolve()) });
  const repo = fakeOf(StreamsRepository, repoImpl);
  const views = new StreamViewCache();
  const service = new StreamsService(
    config,
    repo,
    views,
    new PlaybackUrls(new PlayUrlSigner(config), config),
    fakeOf(ViewerSessions, { count: jest.fn(() => Promise.resolve(0)) }),
    new DomainEventBus(events),
    metrics,
    moduleRef,
    cutter,
  );
  service.onModuleInit();
  const publishing = new PublishingService(
    config,
    repo,
    views,
    new DomainEventBus(events),
    metrics,
    moduleRef,
  );
  publishing.onModuleInit();
  return { service, publishing, metrics, offline, cutter };
}

function swept(): StreamEntity {
  const t = new Date('2026-01-01T10:00:00.000Z');
  return {
    id: ID,
    title: 't',
    ownerId: OWNER,
    roomId: null,
    status: 'idle',
    keyHash: hashStreamKey(KEY),
    publisherClientId: null,
    publisherServer: null,
    publisherProtocol: null,
    lastSeenAt: t,
    access: 'public',
    startedAt: t,
    endedAt: new Date('2026-01-01T10:05:00.000Z'),
    createdAt: t,
    updatedAt: t,
  };
}

describe('live state rules', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('sweeps a quarter of STREAM_STALE_SEC apart, between 250 ms and 10 s', () => {
    expect(sweepIntervalMs(60)).toBe(10_000);
    expect(sweepIntervalMs(8)).toBe(2_000);
    expect(sweepIntervalMs(2)).toBe(500);
    expect(sweepIntervalMs(1)).toBe(250);
    expect(sweepIntervalMs(3600)).toBe(10_000);
  });

  it('sweeps nginx-rtmp streams silent since the cutoff, with stream.ended in the same transaction', async () => {
    const manager = {} as EntityManager;
    const append = jest.fn(() => Promise.resolve());
    const sweepStale = jest.fn(
      async (
        _s: string,
        _c: Date,
        within: (m: EntityManager, r: StreamEntity[]) => Promise<void>,
      ) => {
        await within(manager, [swept()]);
        return [swept()];
      },
    );
    const { publishing, metrics, offline } = setup(
      { sweepStale },
      { staleSec: 30, outbox: { append } as ProductEventOutbox },
    );
    const now = new Date('2026-01-01T10:05:00.000Z');
    await expect(publishing.sweepStale(now)).resolves.toBe(1);
    expect(sweepStale.mock.calls[0][0]).toBe('nginx-rtmp');
    expect(sweepStale.mock.calls[0][1]).toEqual(new Date('2026-01-01T10:04:30.000Z'));
    expect(append).toHaveBeenCalledWith(manager, [
      {
        type: 'stream.ended',
        ownerId: OWNER,
        data: {
          streamId: ID,
          ownerId: OWNER,
          title: 't',
          roomId: null,
          startedAt: '2026-01-01T10:00:00.000Z',
          endedAt: '2026-01-01T10:05:00.000Z',
          reason: 'stale',
        },
      },
    ]);
    expect(offline.mock.calls).toEqual([[{ streamId: ID, roomId: null }]]);
    expect(metrics.streamsSweptCount).toHaveBeenCalledWith(1);
  });

  it('sweeps without an outbox (webhooks absent), and not at all when STREAM_STALE_SEC=0', async () => {
    const sweepStale = jest.fn(
      async (
        _s: string,
        _c: Date,
        within: (m: EntityManager, r: StreamEntity[]) => Promise<void>,
      ) => {
        await within({} as EntityManager, [swept()]);
        return [swept()];
      },
    );
    await expect(setup({ sweepStale }).publishing.sweepStale()).resolves.toBe(1);
    const off = jest.fn();
    await expect(setup({ sweepStale: off }, { staleSec: 0 }).publishing.sweepStale()).resolves.toBe(
      0,
    );
    expect(off).not.toHaveBeenCalled();
  });

  it('confirms an update only through the key hash, and refuses one without key or client id', async () => {
    const confirmPublisher = jest.fn(() => Promise.resolve(true));
    const { publishing } = setup({ confirmPublisher });
    await expect(publishing.confirmPublisher('nginx-rtmp', ID, KEY, '3')).resolves.toBe(true);
    expect(confirmPublisher).toHaveBeenCalledWith(ID, '3', hashStreamKey(KEY));
    await expect(publishing.confirmPublisher('nginx-rtmp', ID, null, '3')).resolves.toBe(false);
    await expect(publishing.confirmPublisher('nginx-rtmp', ID, KEY, null)).resolves.toBe(false);
    await expect(publishing.confirmPublisher('nginx-rtmp', 'nope', KEY, '3')).resolves.toBe(false);
    expect(confirmPublisher).toHaveBeenCalledTimes(1);
  });

  it('keeps publishers going while the database is down (an outage must not cut everyone)', async () => {
    const { publishing } = setup({
      confirmPublisher: jest.fn(() => Promise.reject(new ServiceUnavailableError())),
    });
    await expect(publishing.confirmPublisher('nginx-rtmp', ID, KEY, '3')).resolves.toBe(true);
  });

  it('cuts every live publisher of a revoked account as user_disabled', async () => {
    const live = [{ ...swept(), status: 'live' as const, publisherServer: 'srs' }];
    const { service, cutter } = setup({ findLiveByOwner: jest.fn(() => Promise.resolve(live)) });
    await service.onUserRevoked({ userId: OWNER });
    expect(cutter.cut).toHaveBeenCalledWith(live[0], 'user_disabled');
  });
});
