import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import {
  DomainError,
  ForbiddenError,
  isUnavailableError,
  UnauthorizedError,
} from '../common/errors';
import type { Role } from '../users/user.entity';
import type { AuthUser } from './auth.types';

/** 401 unless a valid bearer token is sent. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<T>(err: unknown, user: T): T {
    // A store outage while resolving the account is a 503, not a 401.
    if (err instanceof DomainError || isUnavailableError(err)) throw err;
    if (err || !user) throw new UnauthorizedError('Missing, invalid or expired token');
    return user;
  }
}

/** Anonymous allowed; a token, when sent, must be valid. */
@Injectable()
export class OptionalJwtAuthGuard extends JwtAuthGuard {
  override canActivate(context: ExecutionContext) {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (req.headers.authorization === undefined) return true;
    return super.canActivate(context);
  }
}

export const ROLES_KEY = 'onair:roles';
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles?.length) return true;
    const user = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>().user;
    if (!user) throw new UnauthorizedError();
    if (!roles.includes(user.role)) throw new ForbiddenError();
    return true;
  }
}
