import { EventEmitter2 } from '@nestjs/event-emitter';
import { DomainEventBus } from '../common/domain-event-bus';
import { PRESENCE_CHANGED, PresenceChangedEvent } from '../common/ports';
import { loadConfig } from '../config/app-config';
import { fakeMetrics, fakeOf } from '../../test/helpers/fakes';
import { MemoryPresenceStore } from './memory-presence.store';
import { PresenceService } from './presence.service';
import { PresenceStore } from './presence.store';

const ROOM = 'room-1';
const alice = { viewerId: 'u-alice', displayName: 'Alice' };

function make(store?: PresenceStore) {
  const config = loadConfig({ PRESENCE_TTL_SEC: '30' });
  const s = store ?? new MemoryPresenceStore(config);
  const metrics = fakeMetrics();
  const events = new EventEmitter2();
  return {
    svc: new PresenceService(config, s, metrics, new DomainEventBus(events)),
    store: s,
    events,
  };
}

describe('PresenceService', () => {
  afterEach(() => jest.useRealTimers());

  it('counts a viewer once across tabs and keeps it until its last tab leaves', async () => {
    const { svc } = make();
    expect(await svc.socketJoined(ROOM, 's1', alice)).toBe(1);
    expect(await svc.socketJoined(ROOM, 's2', alice)).toBe(1);
    expect(await svc.socketJoined(ROOM, 's3', { viewerId: 'anon:x', displayName: null })).toBe(2);
    await svc.socketLeft(ROOM, 's1');
    expect(await svc.count(ROOM)).toBe(2);
    await svc.socketLeft(ROOM, 's2');
    expect(await svc.count(ROOM)).toBe(1);
    await svc.socketLeft(ROOM, 's2'); // idempotent
    expect(await svc.snapshot(ROOM)).toEqual({ onlineCount: 1, members: [] });
  });

  it('moves a socket that joins again under another viewer id instead of counting both', async () => {
    const { svc } = make();
    await svc.socketJoined(ROOM, 's1', { viewerId: 'anon:first', displayName: null });
    expect(await svc.socketJoined(ROOM, 's1', { viewerId: 'anon:second', displayName: null })).toBe(
      1,
    );
    await svc.socketLeft(ROOM, 's1');
    expect(await svc.count(ROOM)).toBe(0);
  });

  it('keeps connected sockets online past the TTL by refreshing them', async () => {
    jest.useFakeTimers();
    const { svc } = make();
    svc.onModuleInit();
    await svc.socketJoined(ROOM, 's1', alice);
    await jest.advanceTimersByTimeAsync(95_000);
    expect(await svc.count(ROOM)).toBe(1);
    svc.onModuleDestroy();
  });

  it('coalesces count changes to at most one notification per room per second, only when the count changed', async () => {
    jest.useFakeTimers();
    const { svc, events } = make();
    const calls: [string, number][] = [];
    events.on(PRESENCE_CHANGED, (e: PresenceChangedEvent) => calls.push([e.roomId, e.onlineCount]));
    svc.onModuleInit();
    for (let i = 0; i < 20; i++)
      await svc.socketJoined(ROOM, `s${i}`, { viewerId: `anon:${i}`, displayName: null });
    await jest.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual([[ROOM, 20]]);
    await jest.advanceTimersByTimeAsync(3000);
    expect(calls).toHaveLength(1);
    await svc.httpHeartbeat(ROOM, { viewerId: 'anon:player', displayName: null });
    await jest.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual([
      [ROOM, 20],
      [ROOM, 21],
    ]);
    svc.onModuleDestroy();
  });

  it('releases every local viewer on shutdown', async () => {
    const { svc } = make();
    await svc.socketJoined(ROOM, 's1', alice);
    await svc.socketJoined('room-2', 's1', alice);
    await svc.releaseAll();
    expect(Object.fromEntries(await svc.counts([ROOM, 'room-2']))).toEqual({
      [ROOM]: 0,
      'room-2': 0,
    });
  });

  it('still answers a join when the store is down, with what this instance knows', async () => {
    const failing = fakeOf(PresenceStore, {
      touch: jest.fn().mockRejectedValue(new Error('Redis is unavailable')),
      count: jest.fn(),
      release: jest.fn().mockRejectedValue(new Error('down')),
    });
    const { svc } = make(failing);
    expect(await svc.socketJoined(ROOM, 's1', alice)).toBe(1);
    await expect(svc.socketLeft(ROOM, 's1')).resolves.toBeUndefined();
  });
});
