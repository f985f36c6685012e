/** Polls until `predicate` returns a truthy value, or throws `message` at the deadline. */
export async function until<T>(
  predicate: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10000);
  let last: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${opts.message ?? 'condition not met'} (after ${opts.timeoutMs ?? 10000} ms)${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
