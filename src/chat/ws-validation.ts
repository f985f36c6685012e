import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { validationMessages } from '../common/validation-messages';
import type { AckError } from './chat.events';

export type Validated<T> = { ok: true; value: T } | { ok: false; error: AckError };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Validates an inbound socket payload with the same rules as HTTP bodies (class-validator,
 * unknown properties refused). Never throws: the caller turns a failure into a
 * VALIDATION_FAILED ack, so a malformed event costs the sender an error and nothing else.
 */
export function validatePayload<T extends object>(
  cls: new () => T,
  payload: unknown,
): Validated<T> {
  if (
    typeof payload !== 'object' ||
    payload === null ||
    Array.isArray(payload) ||
    Object.getPrototypeOf(payload) !== Object.prototype
  ) {
    return {
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: 'payload must be a JSON object' },
    };
  }
  const keys = Object.keys(payload);
  if (keys.some((k) => FORBIDDEN_KEYS.has(k))) {
    return {
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: 'payload has a forbidden property name' },
    };
  }
  let value: T;
  let errors: ValidationError[];
  try {
    value = plainToInstance(cls, payload);
    errors = validateSync(value, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
    });
  } catch {
    return { ok: false, error: { code: 'VALIDATION_FAILED', message: 'payload is not valid' } };
  }
  if (errors.length > 0)
    return {
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: validationMessages(errors).join('; ') || 'payload is not valid',
      },
    };
  return { ok: true, value };
}
