'use strict';
// Experiment: the throttler key without hashing. @nestjs/throttler's ThrottlerGuard.generateKey
// builds "<Controller>-<handler>-<throttler>-<ip>" and runs SHA-256 over it on every request;
// the key never leaves the process (memory store) or the Redis key space, so a plain string does
// the same job. This preload measures what the hash costs per request.

const { ThrottlerGuard } = require('@nestjs/throttler');

ThrottlerGuard.prototype.generateKey = function generateKey(context, suffix, name) {
  return `${context.getClass().name}-${context.getHandler().name}-${name}-${suffix}`;
};
