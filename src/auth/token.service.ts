import { Injectable } from '@nestjs/common';
import * as jwt from 'jsonwebtoken';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { UnauthorizedError } from '../common/errors';
import { UsersRepository } from '../users/users.repository';
import type { AccessTokenClaims, AuthUser } from './auth.types';

/** The verification rules, shared verbatim by the passport-jwt strategy and the socket middleware. */
export function jwtVerifyOptions(
  config: AppConfig,
): jwt.VerifyOptions & { algorithms: jwt.Algorithm[] } {
  return {
    algorithms: ['HS256'],
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    clockTolerance: 5,
  };
}

@Injectable()
export class TokenService {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly users: UsersRepository,
  ) {}

  issue(user: { id: string; role: AccessTokenClaims['role'] }): {
    accessToken: string;
    tokenType: 'Bearer';
    expiresIn: number;
  } {
    const claims: AccessTokenClaims = { sub: user.id, role: user.role };
    const accessToken = jwt.sign(claims, this.config.jwt.secret, {
      algorithm: 'HS256',
      expiresIn: this.config.jwt.expiresInSec,
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.jwt.expiresInSec };
  }

  /** The one token check: signature, algorithm, iss/aud, exp/nbf, then the account still exists and is enabled. */
  async verify(token: string): Promise<AuthUser> {
    let claims: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(token, this.config.jwt.secret, jwtVerifyOptions(this.config));
      if (typeof decoded === 'string') throw new Error('unexpected payload');
      claims = decoded;
    } catch {
      throw new UnauthorizedError('Invalid or expired token');
    }
    return this.principal(claims);
  }

  async principal(claims: jwt.JwtPayload): Promise<AuthUser> {
    if (typeof claims.sub !== 'string' || !/^[0-9a-f-]{36}$/i.test(claims.sub))
      throw new UnauthorizedError('Invalid or expired token');
    // jsonwebtoken accepts a token without exp; OnAir never issues one, nor one that lives longer
    // than JWT_EXPIRES_IN, so either can only be forged or left over from another configuration.
    if (
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      claims.exp - claims.iat > this.config.jwt.expiresInSec
    )
      throw new UnauthorizedError('Invalid or expired token');
    const user = await this.users.findById(claims.sub);
    if (!user || user.disabledAt) throw new UnauthorizedError('Invalid or expired token');
    return { id: user.id, username: user.username, displayName: user.displayName, role: user.role };
  }
}
