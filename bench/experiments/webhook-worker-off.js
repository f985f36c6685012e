'use strict';
// Experiment: the webhook delivery worker never runs (events still go to the outbox), to
// measure what its passes cost the hook path while streams change state (P2).

const Module = require('node:module');

const load = Module._load;
Module._load = function (request, _parent, _isMain) {
  const exp = load.apply(this, arguments);
  if (/webhook-delivery\.worker(\.js)?$/.test(request) && exp && exp.WebhookDeliveryWorker) {
    const proto = exp.WebhookDeliveryWorker.prototype;
    if (!proto.__benchPatched) {
      proto.kickSoon = () => {};
      proto.kick = () => {};
      proto.__benchPatched = true;
    }
  }
  return exp;
};
