import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { QueryFailedError, Repository } from 'typeorm';
import { ConflictError } from '../common/errors';
import { Role, UserEntity } from './user.entity';

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly repo: Repository<UserEntity>) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ usernameLower: username.toLowerCase() });
  }

  async create(input: {
    username: string;
    displayName: string;
    passwordHash: string;
    role: Role;
  }): Promise<UserEntity> {
    const now = new Date();
    const user = this.repo.create({
      id: randomUUID(),
      usernameLower: input.username.toLowerCase(),
      ...input,
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
    });
    try {
      return await this.repo.save(user);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('username is already taken');
      throw err;
    }
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await this.repo.update({ id }, { disabledAt: disabled ? new Date() : null });
  }

  async delete(id: string): Promise<void> {
    await this.repo.delete({ id });
  }
}

export function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const d = err.driverError as { code?: string } | undefined;
  return (
    d?.code === '23505' ||
    d?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    d?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
