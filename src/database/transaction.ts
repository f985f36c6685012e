import type { DataSource, EntityManager } from 'typeorm';

/** Tail of the transactions queued on each SQLite DataSource. */
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/**
 * Runs `work` in one transaction. On PostgreSQL each transaction has its own pooled connection.
 * SQLite has a single connection shared by every caller, where two overlapping transactions would
 * nest as savepoints and commit each other's work; they are queued one after another instead
 * (each is a few statements on a local file, so the queue stays short).
 */
export function runInTransaction<T>(
  ds: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (ds.options.type === 'postgres') return ds.transaction(work);
  const previous = sqliteQueues.get(ds) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => ds.transaction(work));
  sqliteQueues.set(ds, mine);
  return mine;
}
