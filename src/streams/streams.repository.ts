import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, ObjectLiteral, Repository } from 'typeorm';
import type { Cursor } from '../common/pagination';
import { applyKeyset } from '../database/keyset';
import type { MediaServer } from '../metrics/metrics.service';
import { StreamAccess, StreamEntity, StreamStatus } from './stream.entity';

export interface StreamFilters {
  status?: StreamStatus;
  ownerId?: string;
}

/**
 * The only class that touches the streams table. Every state change is ONE conditional
 * UPDATE whose WHERE clause states the transition it expects, so concurrent callers (two
 * publishers, two replicas, a delete racing a publish) cannot both win; `affected` tells
 * the caller whether it did.
 *
 * The hook hot path (findById, markLive, markIdle) is written as plain SQL run
 * through TypeORM's own driver (its parameter escaping and value hydration, so both dialects
 * behave exactly as with the query builder): measured on SQLite, building a query and
 * hydrating an entity through the query builder cost ~170-250 µs, the statements ~10 µs.
 */
@Injectable()
export class StreamsRepository {
  constructor(@InjectRepository(StreamEntity) private readonly repo: Repository<StreamEntity>) {}

  /** Runs a statement with `:named` parameters; returns the affected row count. */
  private async run(sql: string, params: ObjectLiteral): Promise<number> {
    const ds = this.repo.manager.connection;
    const [query, values] = ds.driver.escapeQueryWithParameters(sql, params, {});
    const runner = ds.createQueryRunner();
    try {
      const result = await runner.query(query, values, true);
      return result.affected ?? 0;
    } finally {
      await runner.release();
    }
  }

  /** Row → entity with the driver's own conversions (e.g. SQLite datetime text → Date). */
  private hydrate(row: Record<string, unknown>): StreamEntity {
    const driver = this.repo.manager.connection.driver;
    const entity = new StreamEntity();
    const target = entity as unknown as Record<string, unknown>;
    for (const column of this.repo.metadata.columns)
      target[column.propertyName] = driver.prepareHydratedValue(row[column.databaseName], column);
    return entity;
  }

  async create(input: {
    id: string;
    title: string;
    ownerId: string;
    roomId: string | null;
    access: StreamAccess;
    keyHash: string;
  }): Promise<StreamEntity> {
    const now = new Date();
    const row = this.repo.create({
      ...input,
      status: 'idle',
      publisherClientId: null,
      publisherServer: null,
      startedAt: null,
      endedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    await this.repo.insert(row);
    return row;
  }

  async findById(id: string): Promise<StreamEntity | null> {
    const ds = this.repo.manager.connection;
    const [query, values] = ds.driver.escapeQueryWithParameters(
      'SELECT * FROM "streams" WHERE "id" = :id',
      { id },
      {},
    );
    const rows = await ds.query<Record<string, unknown>[]>(query, values);
    return rows[0] ? this.hydrate(rows[0]) : null;
  }

  /** Newest first; returns up to limit + 1 rows (see toPage). */
  listPage(
    filters: StreamFilters,
    cursor: Cursor | undefined,
    limit: number,
  ): Promise<StreamEntity[]> {
    const qb = this.repo.createQueryBuilder('s');
    if (filters.status) qb.andWhere('s.status = :status', { status: filters.status });
    if (filters.ownerId) qb.andWhere('s.ownerId = :ownerId', { ownerId: filters.ownerId });
    return applyKeyset(qb, 's', cursor, limit).getMany();
  }

  countActiveByOwner(ownerId: string): Promise<number> {
    return this.repo.countBy({ ownerId, status: Not('ended') });
  }

  /** The stream live in a room; the latest to go live when several are. */
  findLiveByRoom(roomId: string): Promise<StreamEntity | null> {
    return this.repo.findOne({
      where: { roomId, status: 'live' },
      order: { startedAt: 'DESC', id: 'DESC' },
    });
  }

  async updateDetails(
    id: string,
    patch: { title?: string; roomId?: string | null; access?: StreamAccess },
  ): Promise<boolean> {
    const r = await this.repo.update(
      { id, status: Not('ended') },
      { ...patch, updatedAt: new Date() },
    );
    return r.affected === 1;
  }

  async rotateKeyHash(id: string, keyHash: string): Promise<boolean> {
    const r = await this.repo.update(
      { id, status: Not('ended') },
      { keyHash, updatedAt: new Date() },
    );
    return r.affected === 1;
  }

  /**
   * idle → live, only if the key hash is still the one the caller checked (a rotation in
   * between makes this a no-op) and nobody else went live first.
   */
  async markLive(
    id: string,
    keyHash: string,
    clientId: string | null,
    server: MediaServer,
    now = new Date(),
  ): Promise<boolean> {
    const affected = await this.run(
      `UPDATE "streams" SET "status" = 'live', "publisherClientId" = :clientId, "publisherServer" = :server, "startedAt" = :now, "endedAt" = NULL, "updatedAt" = :now
       WHERE "id" = :id AND "status" = 'idle' AND "keyHash" = :keyHash`,
      { id, keyHash, clientId, server, now },
    );
    return affected === 1;
  }

  /** live → idle for the session of `publisherClientId` (null = none recorded); false when that is not the current state. */
  async markIdle(id: string, publisherClientId: string | null, now = new Date()): Promise<boolean> {
    const session =
      publisherClientId === null
        ? '"publisherClientId" IS NULL'
        : '"publisherClientId" = :publisherClientId';
    const affected = await this.run(
      `UPDATE "streams" SET "status" = 'idle', "publisherClientId" = NULL, "publisherServer" = NULL, "endedAt" = :now, "updatedAt" = :now
       WHERE "id" = :id AND "status" = 'live' AND ${session}`,
      { id, publisherClientId, now },
    );
    return affected === 1;
  }

  /** `from` → ended (terminal); false when the stream is no longer in `from`. */
  async markEnded(
    id: string,
    from: Exclude<StreamStatus, 'ended'>,
    now = new Date(),
  ): Promise<boolean> {
    const r = await this.repo.update(
      { id, status: from },
      {
        status: 'ended',
        publisherClientId: null,
        publisherServer: null,
        endedAt: now,
        updatedAt: now,
      },
    );
    return r.affected === 1;
  }

  countLive(): Promise<number> {
    return this.repo.countBy({ status: 'live' });
  }

  /** Ids of the live streams (for stream_viewers, summed over them from the session store). */
  async listLiveIds(): Promise<string[]> {
    const rows = await this.repo.find({ select: { id: true }, where: { status: 'live' } });
    return rows.map((r) => r.id);
  }
}
