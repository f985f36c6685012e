import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { RecordingImportEntity } from './recording-import.entity';

/** Due: pending past its back-off, or running with a lapsed lease (its worker is gone). */
const DUE =
  '(("status" = :pending AND "runAfter" <= :now) OR ("status" = :running AND "leaseUntil" < :now))';

/** Rows looked at per claim attempt; others may win some of them. */
const CLAIM_CANDIDATES = 5;

/**
 * The only class that touches recording_imports. Every transition is one conditional UPDATE
 * that names the state it expects (and, once claimed, the claim token), so two workers on two
 * instances can never both own or both finish a job.
 */
@Injectable()
export class RecordingImportsRepository {
  constructor(
    @InjectRepository(RecordingImportEntity)
    private readonly repo: Repository<RecordingImportEntity>,
  ) {}

  async enqueue(input: { id: string; streamId: string; server: string; path: string }) {
    const now = new Date();
    await this.repo.insert({
      ...input,
      status: 'pending',
      attempts: 0,
      runAfter: now,
      claimToken: null,
      leaseUntil: null,
      error: null,
      videoId: null,
      createdAt: now,
      updatedAt: now,
    });
  }

  findById(id: string): Promise<RecordingImportEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /**
   * Claims the oldest due job: pending and past its back-off, or running with a lapsed lease
   * (its worker died). Returns it with the new token and attempt count, or null when none is due.
   */
  async claimNext(
    token: string,
    now: Date,
    leaseMs: number,
  ): Promise<RecordingImportEntity | null> {
    const params = { pending: 'pending', running: 'running', now };
    const candidates = await this.repo
      .createQueryBuilder('j')
      .select(['j.id'])
      .where(DUE, params)
      .orderBy('j.createdAt', 'ASC')
      .addOrderBy('j.id', 'ASC')
      .limit(CLAIM_CANDIDATES)
      .getMany();
    for (const { id } of candidates) {
      const qb = this.repo
        .createQueryBuilder()
        .update(RecordingImportEntity)
        .set({
          status: 'running',
          claimToken: token,
          leaseUntil: new Date(now.getTime() + leaseMs),
          attempts: () => '"attempts" + 1',
          updatedAt: now,
        })
        .where(DUE, params)
        .andWhere('"id" = :id', { id });
      const r = await qb.execute();
      if (r.affected === 1) return this.findById(id);
    }
    return null;
  }

  /** Extends the lease of a job this worker still owns; false when it lost it. */
  async renew(id: string, token: string, until: Date): Promise<boolean> {
    const r = await this.repo.update(
      { id, claimToken: token, status: 'running' },
      { leaseUntil: until, updatedAt: new Date() },
    );
    return r.affected === 1;
  }

  /** Gives a claimed job back (shutdown, passing fault): pending again from `runAfter`. */
  async release(id: string, token: string, runAfter: Date, error: string | null): Promise<void> {
    await this.repo.update(
      { id, claimToken: token, status: 'running' },
      {
        status: 'pending',
        claimToken: null,
        leaseUntil: null,
        runAfter,
        error: error?.slice(0, 500) ?? null,
        updatedAt: new Date(),
      },
    );
  }

  /** Gives up on a job for good; the original file stays where it is. */
  async fail(id: string, token: string | null, error: string): Promise<void> {
    await this.repo.update(token === null ? { id } : { id, claimToken: token, status: 'running' }, {
      status: 'failed',
      claimToken: null,
      leaseUntil: null,
      error: error.slice(0, 500),
      updatedAt: new Date(),
    });
  }

  /**
   * Marks a job done inside the transaction that inserts its video. False when this worker no
   * longer owns the job (another one re-claimed it): the caller must roll back.
   */
  async completeIn(
    manager: EntityManager,
    id: string,
    token: string,
    videoId: string,
  ): Promise<boolean> {
    const r = await manager.update(
      RecordingImportEntity,
      { id, claimToken: token, status: 'running' },
      {
        status: 'done',
        claimToken: null,
        leaseUntil: null,
        videoId,
        error: null,
        updatedAt: new Date(),
      },
    );
    return r.affected === 1;
  }
}
