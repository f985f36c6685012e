'use strict';
// Experiment (preload into OnAir: `--experiment throttler-fixed-window`): what the in-memory
// rate-limit store would cost as an O(1) fixed-window counter with the same semantics as the
// Redis store's Lua script (INCR + PEXPIRE window, a block key for blockDuration once the limit
// is passed), instead of @nestjs/throttler's ThrottlerStorageService, which keeps one expiry
// timestamp per hit and filters the whole array on every request (O(hits in the window)).
// It replaces ThrottlerStorageService.prototype.increment, which MemoryRateLimitStore calls.

const { ThrottlerStorageService } = require('@nestjs/throttler');

const windows = new Map();
let sweep = null;

function evict(now) {
  for (const [k, r] of windows)
    if (r.expiresAt <= now && r.blockExpiresAt <= now) windows.delete(k);
}

ThrottlerStorageService.prototype.increment = async function increment(
  key,
  ttl,
  limit,
  blockDuration,
  throttlerName,
) {
  if (!sweep) {
    sweep = setInterval(() => evict(Date.now()), 60000);
    sweep.unref();
  }
  const now = Date.now();
  const k = `${key}\u0000${throttlerName}`;
  let r = windows.get(k);
  if (!r) {
    r = { hits: 0, expiresAt: now + ttl, blockExpiresAt: 0 };
    windows.set(k, r);
  }
  if (r.expiresAt <= now) {
    r.hits = 0;
    r.expiresAt = now + ttl;
  }
  r.hits++;
  let isBlocked = r.blockExpiresAt > now;
  if (!isBlocked && r.hits > limit) {
    r.blockExpiresAt = now + blockDuration;
    isBlocked = true;
  } else if (!isBlocked && r.blockExpiresAt !== 0) {
    // The block ran out: start a fresh window, as the Lua script does.
    r.blockExpiresAt = 0;
    r.hits = 1;
    r.expiresAt = now + ttl;
  }
  return {
    totalHits: r.hits,
    timeToExpire: Math.ceil((r.expiresAt - now) / 1000),
    isBlocked,
    timeToBlockExpire: isBlocked ? Math.ceil((r.blockExpiresAt - now) / 1000) : 0,
  };
};
ThrottlerStorageService.prototype.onApplicationShutdown = function () {
  if (sweep) clearInterval(sweep);
};
