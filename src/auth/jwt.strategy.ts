import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { JwtPayload } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import type { AuthUser } from './auth.types';
import { jwtVerifyOptions, TokenService } from './token.service';

/** Bearer header only: a token in the query string is never read. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @InjectConfig() config: AppConfig,
    private readonly tokens: TokenService,
  ) {
    const opts = jwtVerifyOptions(config);
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwt.secret,
      algorithms: opts.algorithms,
      issuer: opts.issuer as string,
      audience: opts.audience as string,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: opts.clockTolerance },
    });
  }

  validate(payload: JwtPayload): Promise<AuthUser> {
    return this.tokens.principal(payload);
  }
}
