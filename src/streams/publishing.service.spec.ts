import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DomainEventBus } from '../common/domain-event-bus';
import { ServiceUnavailableError } from '../common/errors';
import { STREAM_LIVE } from '../common/ports';
import {
  fakeConfig,
  fakeMetrics,
  fakeModuleRef,
  fakeOf,
  type FakeImpl,
} from '../../test/helpers/fakes';
import { PublishingService } from './publishing.service';
import type { StreamEntity } from './stream.entity';
import { hashStreamKey } from './stream-key';
import { StreamViewCache } from './stream-view.cache';
import { StreamsRepository } from './streams.repository';

const ID = '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b';
const KEY = 'q3v9Jd0T0m2lB6yZ8xWcN1rK4pH7sF5eA0uGiOoLkMn';
const TIMEOUT_MS = 100;

function idleStream(): StreamEntity {
  const now = new Date();
  return {
    id: ID,
    title: 't',
    ownerId: ID,
    roomId: null,
    status: 'idle',
    keyHash: hashStreamKey(KEY),
    publisherClientId: null,
    publisherServer: null,
    access: 'public',
    publisherProtocol: null,
    lastSeenAt: null,
    startedAt: null,
    endedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

function forPublish(ownerActive = true): { stream: StreamEntity; ownerActive: boolean } {
  return { stream: idleStream(), ownerActive };
}

function setup(repo: FakeImpl<StreamsRepository>) {
  const config = fakeConfig({
    hooks: { secret: 'x'.repeat(32), generated: false, publishTimeoutMs: TIMEOUT_MS },
    playUrl: { secret: 'p'.repeat(32), generated: false, ttlSec: 60 },
    media: { hlsBaseUrl: 'http://localhost:8080/hls', rtmpPlayUrl: 'rtmp://localhost:1935/live' },
  });
  const metrics = fakeMetrics();
  const events = new EventEmitter2();
  const live = jest.fn();
  events.on(STREAM_LIVE, live);
  const service = new PublishingService(
    config,
    fakeOf(StreamsRepository, repo),
    new StreamViewCache(),
    new DomainEventBus(events),
    metrics,
    fakeModuleRef(),
  );
  return { service, metrics, live };
}

const never = () => new Promise<never>(() => undefined);
const later = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

describe('PublishingService publish authorization fails closed', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('refuses within the timeout when the database does not answer', async () => {
    const { service, metrics, live } = setup({ findForPublish: jest.fn(never) });
    const started = Date.now();
    await expect(service.authorizePublish('nginx-rtmp', ID, KEY, '3')).resolves.toBe(false);
    const ms = Date.now() - started;
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(TIMEOUT_MS + 500);
    expect(metrics.publishRejected).toHaveBeenCalledWith('nginx-rtmp');
    expect(metrics.publishAccepted).not.toHaveBeenCalled();
    expect(live).not.toHaveBeenCalled();
  });

  it('refuses at once when the database fails', async () => {
    const { service, metrics } = setup({
      findForPublish: jest.fn(() => Promise.reject(new ServiceUnavailableError())),
    });
    await expect(service.authorizePublish('srs', ID, KEY, 'c1')).resolves.toBe(false);
    expect(metrics.publishRejected).toHaveBeenCalledWith('srs');
  });

  it('refuses on an unexpected error too, instead of throwing', async () => {
    const { service } = setup({
      findForPublish: jest.fn(() => Promise.reject(new TypeError('boom'))),
    });
    await expect(service.authorizePublish('mediamtx', ID, KEY, null)).resolves.toBe(false);
  });

  it('does not write when the read comes back after the caller was refused', async () => {
    const markLive = jest.fn(() => Promise.resolve(true));
    const { service } = setup({
      findForPublish: jest.fn(() => later(TIMEOUT_MS + 50, forPublish())),
      markLive,
    });
    await expect(service.authorizePublish('nginx-rtmp', ID, KEY, '3')).resolves.toBe(false);
    await later(100, undefined);
    expect(markLive).not.toHaveBeenCalled();
  });

  it('undoes a go-live that lands after the caller was refused', async () => {
    const markIdle = jest.fn(() => Promise.resolve(true));
    const { service, live } = setup({
      findForPublish: jest.fn(() => Promise.resolve(forPublish())),
      markLive: jest.fn(() => later(TIMEOUT_MS + 50, true)),
      markIdle,
    });
    await expect(service.authorizePublish('nginx-rtmp', ID, KEY, '3')).resolves.toBe(false);
    await later(150, undefined);
    expect(markIdle).toHaveBeenCalledWith(ID, '3');
    expect(live).not.toHaveBeenCalled();
  });

  it('accepts when everything answers in time, and loses cleanly to a concurrent winner', async () => {
    const { service, metrics, live } = setup({
      findForPublish: jest.fn(() => Promise.resolve(forPublish())),
      markLive: jest.fn(() => Promise.resolve(true)),
    });
    await expect(service.authorizePublish('nginx-rtmp', ID.toUpperCase(), KEY, '3')).resolves.toBe(
      true,
    );
    expect(metrics.publishAccepted).toHaveBeenCalledWith('nginx-rtmp');
    expect(live).toHaveBeenCalledWith({ streamId: ID, roomId: null });

    const lost = setup({
      findForPublish: jest.fn(() => Promise.resolve(forPublish())),
      markLive: jest.fn(() => Promise.resolve(false)),
    });
    await expect(lost.service.authorizePublish('nginx-rtmp', ID, KEY, '4')).resolves.toBe(false);
    expect(lost.live).not.toHaveBeenCalled();
  });

  it("refuses a disabled owner's publisher without writing", async () => {
    const markLive = jest.fn(() => Promise.resolve(true));
    const { service, metrics, live } = setup({
      findForPublish: jest.fn(() => Promise.resolve(forPublish(false))),
      markLive,
    });
    await expect(service.authorizePublish('nginx-rtmp', ID, KEY, '3')).resolves.toBe(false);
    expect(markLive).not.toHaveBeenCalled();
    expect(metrics.publishRejected).toHaveBeenCalledWith('nginx-rtmp');
    expect(live).not.toHaveBeenCalled();
  });
});
