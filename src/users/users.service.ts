import { Injectable, Logger } from '@nestjs/common';
import { DomainEventBus } from '../common/domain-event-bus';
import type { AuthUser } from '../auth/auth.types';
import { ConflictError, NotFoundError } from '../common/errors';
import { USER_REVOKED, UserRevokedEvent } from '../common/ports';
import { UsersRepository } from './users.repository';

/**
 * Account administration. Disabling or deleting an account revokes it everywhere at once:
 * every token is checked against the account on each request (TokenService.principal), and
 * USER_REVOKED tells the socket side to drop that user's open connections.
 */
@Injectable()
export class UsersService {
  private readonly log = new Logger('UsersService');

  constructor(
    private readonly users: UsersRepository,
    private readonly events: DomainEventBus,
  ) {}

  async disable(actor: AuthUser, id: string): Promise<void> {
    await this.target(actor, id);
    await this.users.setDisabled(id, true);
    this.revoked(actor, id, 'disabled');
  }

  async enable(actor: AuthUser, id: string): Promise<void> {
    await this.target(actor, id);
    await this.users.setDisabled(id, false);
    this.log.log({ actorId: actor.id, userId: id }, 'Account enabled');
  }

  async delete(actor: AuthUser, id: string): Promise<void> {
    await this.target(actor, id);
    await this.users.delete(id);
    this.revoked(actor, id, 'deleted');
  }

  private async target(actor: AuthUser, id: string): Promise<void> {
    // An admin locking themselves out is almost always a mistake; another admin can do it.
    if (actor.id === id) throw new ConflictError('You cannot change your own account this way');
    if (!(await this.users.findById(id))) throw new NotFoundError('User');
  }

  private revoked(actor: AuthUser, userId: string, how: 'disabled' | 'deleted'): void {
    this.log.log({ actorId: actor.id, userId }, `Account ${how}`);
    const event: UserRevokedEvent = { userId };
    this.events.emit(USER_REVOKED, event);
  }
}
