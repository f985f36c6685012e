import type { Logger } from '@nestjs/common';

/**
 * Counts socket handlers that are running, so a shutdown can wait for them: every message that
 * was accepted gets its ack before the connections close.
 */
export class InFlightHandlers {
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly log: Logger) {}

  async track<T>(fn: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      if (this.running === 0 && this.idleWaiters.length)
        for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Resolves once no handler runs, or after `timeoutMs` (logged) — never rejects. */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({
          msg: 'Shutdown: socket handlers still running after the wait',
          inFlight: this.running,
        });
        resolve();
      }, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
