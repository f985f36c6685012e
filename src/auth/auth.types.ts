import type { Role } from '../users/user.entity';

/** Who is calling, as resolved from a verified token (HTTP and sockets alike). */
export interface AuthUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
}

export interface AccessTokenClaims {
  sub: string;
  role: Role;
}

export function canManage(user: AuthUser, ownerId: string): boolean {
  return user.role === 'admin' || user.id === ownerId;
}
