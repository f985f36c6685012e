import { Injectable } from '@nestjs/common';

/** Process-wide "are we draining?" flag; readiness and the gateway watch it. */
@Injectable()
export class LifecycleService {
  private draining = false;
  private readonly listeners: (() => void | Promise<void>)[] = [];

  get shuttingDown(): boolean {
    return this.draining;
  }

  onDrain(fn: () => void | Promise<void>): void {
    this.listeners.push(fn);
  }

  /** Flip readiness to 503 at once and tell listeners (e.g. the chat gateway) to start draining. */
  async beginDrain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    await Promise.allSettled(this.listeners.map(async (fn) => fn()));
  }
}
