import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../common/errors';
import { safeEqual } from '../common/safe-equal';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

/**
 * Media servers authenticate with `?secret=<HOOK_SECRET>` on the hook URL (none of them can
 * send a header). Wrong, missing or repeated → 403 before anything is read or changed.
 */
@Injectable()
export class HookSecretGuard implements CanActivate {
  constructor(@InjectConfig() private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (!hookSecretMatches(context.switchToHttp().getRequest<FastifyRequest>(), this.config))
      throw new ForbiddenError('invalid hook secret');
    return true;
  }
}

/** The check itself, also used by the HLS check's plain route: exactly one `?secret=`, right. */
export function hookSecretMatches(req: FastifyRequest, config: AppConfig): boolean {
  const secret = (req.query as Record<string, unknown> | undefined)?.secret;
  return typeof secret === 'string' && safeEqual(secret, config.hooks.secret);
}
