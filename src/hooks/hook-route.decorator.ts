import {
  applyDecorators,
  Controller,
  HttpCode,
  Post,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ApiForbiddenResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ErrorResponseDto } from '../common/api-errors.decorator';
import type { HookServer } from '../metrics/metrics.service';
import { HookDurationInterceptor, HookServerName } from './hook-duration.interceptor';
import { HookSecretGuard } from './hook-secret.guard';

/**
 * A hook controller: /api/v1/hooks/<dialect>?secret=…, authenticated by the shared secret,
 * exempt from the per-IP HTTP throttle (one media server makes all the calls) and timed into
 * hook_duration_seconds.
 */
export function HookController(dialect: HookServer) {
  return applyDecorators(
    Controller(`hooks/${dialect}`),
    ApiTags('hooks'),
    SkipThrottle(),
    UseGuards(HookSecretGuard),
    HookServerName(dialect),
    UseInterceptors(HookDurationInterceptor),
  );
}

/** Swagger for the shared secret every hook URL carries (`?secret=<HOOK_SECRET>`). */
export function ApiHookSecret() {
  return ApiQuery({
    name: 'secret',
    required: true,
    description: 'HOOK_SECRET',
    example: 'change-me-to-a-long-random-string',
  });
}

/** The single POST route of a hook controller; `refusedIs403` when the dialect also refuses with 403. */
export function HookPost(opts: { refusedIs403?: boolean } = {}) {
  const forbidden = 'Wrong or missing ?secret= (FORBIDDEN); nothing changes';
  return applyDecorators(
    Post(),
    HttpCode(200),
    ApiHookSecret(),
    ApiForbiddenResponse({
      description: opts.refusedIs403
        ? `Refused (publish/play not allowed), or: ${forbidden}`
        : forbidden,
      type: ErrorResponseDto,
    }),
  );
}
