import { Logger } from '@nestjs/common';
import { fakeConfig, fakeMetrics } from '../../test/helpers/fakes';
import { MemoryViewerSessionStore } from './memory-viewer-session.store';
import { ViewerSessions } from './viewer-sessions.service';

const ID = '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b';

describe('ViewerSessions', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('keeps answering with the last count read, and never fails a play, while the store is down', async () => {
    const store = new MemoryViewerSessionStore();
    const metrics = fakeMetrics();
    const sessions = new ViewerSessions(fakeConfig({ playSessionTtlSec: 30 }), store, metrics);
    await sessions.seen(ID, 'a', 'hls');
    await sessions.seen(ID, 'b', 'rtmp');
    expect(metrics.playbackSessionStarted.mock.calls).toEqual([['hls'], ['rtmp']]);
    expect(await sessions.count(ID)).toBe(2);

    const down = () => Promise.reject(new Error('Redis is unavailable'));
    jest.spyOn(store, 'counts').mockImplementation(down);
    jest.spyOn(store, 'touch').mockImplementation(down);
    jest.spyOn(store, 'release').mockImplementation(down);
    await expect(sessions.seen(ID, 'c', 'hls')).resolves.toBeUndefined();
    await expect(sessions.ended(ID, 'a')).resolves.toBeUndefined();
    expect(await sessions.count(ID)).toBe(2);
    expect(Object.fromEntries(await sessions.counts([ID, 'never-read']))).toEqual({
      [ID]: 2,
      'never-read': 0,
    });
    expect(metrics.playbackSessionStarted).toHaveBeenCalledTimes(2);
  });

  it('writes a session to the store at most once per refresh interval, and again after play_done', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const store = new MemoryViewerSessionStore();
      const touch = jest.spyOn(store, 'touch');
      const sessions = new ViewerSessions(
        fakeConfig({ playSessionTtlSec: 30 }),
        store,
        fakeMetrics(),
      );
      for (let i = 0; i < 5; i++) await sessions.seen(ID, 'a', 'hls');
      expect(touch).toHaveBeenCalledTimes(1);
      // Another session, and the same one held longer (an SRS play to its expiry), are written.
      await sessions.seen(ID, 'b', 'hls');
      await sessions.seen(ID, 'a', 'rtmp', 1_000_000 / 1000 + 600);
      expect(touch).toHaveBeenCalledTimes(3);

      jest.setSystemTime(1_000_000 + 1001);
      await sessions.seen(ID, 'b', 'hls');
      expect(touch).toHaveBeenCalledTimes(4);
      expect(touch.mock.calls[3]![2]).toBe(1_000_000 + 1001 + 30_000);

      await sessions.ended(ID, 'b');
      expect(await sessions.count(ID)).toBe(1);
      await sessions.seen(ID, 'b', 'hls');
      expect(touch).toHaveBeenCalledTimes(5);
      expect(await sessions.count(ID)).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
