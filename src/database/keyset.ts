import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { Cursor } from '../common/pagination';

/** Newest-first keyset paging on (createdAt, id); fetches limit + 1 rows to know if more exist. */
export function applyKeyset<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  cursor: Cursor | undefined,
  limit: number,
): SelectQueryBuilder<T> {
  if (cursor) {
    qb.andWhere(
      `(${alias}.createdAt < :cAt OR (${alias}.createdAt = :cAt AND ${alias}.id < :cId))`,
      { cAt: cursor.createdAt, cId: cursor.id },
    );
  }
  return qb
    .orderBy(`${alias}.createdAt`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .take(undefined)
    .limit(limit + 1);
}
