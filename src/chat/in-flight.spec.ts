import { Logger } from '@nestjs/common';
import { InFlightHandlers } from './in-flight';

function deferred(): { promise: Promise<string>; resolve: (v: string) => void } {
  let resolve!: (v: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
}

describe('InFlightHandlers (shutdown waits for running socket handlers)', () => {
  afterEach(() => jest.useRealTimers());

  it('is idle at once when no handler runs', async () => {
    const inFlight = new InFlightHandlers(new Logger('test'));

    await expect(inFlight.whenIdle(10_000)).resolves.toBeUndefined();
  });

  it('waits until the running handler has finished, and passes its result through', async () => {
    const inFlight = new InFlightHandlers(new Logger('test'));
    const handler = deferred();
    const result = inFlight.track(() => handler.promise);
    let idle = false;
    const waiting = inFlight.whenIdle(10_000).then(() => (idle = true));

    await Promise.resolve();
    expect(idle).toBe(false);
    handler.resolve('ack');

    await expect(result).resolves.toBe('ack');
    await waiting;
    expect(idle).toBe(true);
  });

  it('gives up after the wait and logs how many handlers still run', async () => {
    jest.useFakeTimers();
    const log = new Logger('test');
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    const inFlight = new InFlightHandlers(log);
    void inFlight.track(() => deferred().promise);

    const waiting = inFlight.whenIdle(5000);
    await jest.advanceTimersByTimeAsync(5000);

    await expect(waiting).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ inFlight: 1 }));
  });
});
