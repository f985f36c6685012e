'use strict';
// Experiment: the HTTP throttler guard let through without a store call, to measure its share
// of a throttled route's per-request cost.

const Module = require('node:module');

const load = Module._load;
Module._load = function (request, _parent, _isMain) {
  const exp = load.apply(this, arguments);
  if (/app-throttler\.guard(\.js)?$/.test(request) && exp && exp.AppThrottlerGuard) {
    const proto = exp.AppThrottlerGuard.prototype;
    if (!proto.__benchPatched) {
      proto.canActivate = () => true;
      proto.__benchPatched = true;
    }
  }
  return exp;
};
