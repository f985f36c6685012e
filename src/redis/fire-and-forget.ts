import type { Redis } from 'ioredis';

/**
 * Some ioredis commands are called without anyone handling their promise: the Socket.IO Redis
 * adapter's publishes, and the (re)subscriptions ioredis itself sends when a subscriber
 * reconnects. While Redis is away or slow those reject (e.g. "Command timed out"), and an
 * unhandled rejection would end the process. Attaching a handler to each returned promise (and
 * still returning it) keeps the process up and the error reported.
 */
export function guardFireAndForget(
  client: Redis,
  methods: readonly string[],
  onError: (err: unknown) => void,
): void {
  const target = client as unknown as Record<string, unknown>;
  for (const name of methods) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    const bound = (original as (...args: unknown[]) => unknown).bind(client);
    target[name] = (...args: unknown[]) => {
      const result = bound(...args);
      if (result instanceof Promise) result.catch(onError);
      return result;
    };
  }
}
