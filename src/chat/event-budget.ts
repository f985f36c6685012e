import { TokenBuckets } from '../common/token-buckets';
import type { ChatSocket } from './chat.broadcaster';

/** Per-connection event budget: bursts of 20, 10 events/s sustained. */
const BUCKET_SIZE = 20;
const BUCKET_REFILL_PER_SEC = 10;

/**
 * How many inbound events one socket may send. One bucket per live connection; the number of
 * keys is bounded by the connections themselves, so no key is ever evicted (an evicted busy
 * socket would get a fresh, full budget).
 */
export class EventBudget {
  private readonly buckets = new TokenBuckets(
    BUCKET_SIZE,
    BUCKET_REFILL_PER_SEC,
    Number.POSITIVE_INFINITY,
  );

  /** Spends one event of `socket`'s budget; false when it has none left. */
  take(socket: ChatSocket, now = Date.now()): boolean {
    const ok = this.buckets.take(socket.id, now);
    // A late event of a closed socket must not keep an entry after 'disconnect' removed it.
    if (!socket.connected) this.buckets.delete(socket.id);
    return ok;
  }

  /** Called on disconnect. */
  forget(socketId: string): void {
    this.buckets.delete(socketId);
  }
}
