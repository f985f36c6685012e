'use strict';
// Experiment: Socket.IO message handlers bound without RxJS. @nestjs/platform-socket.io's
// IoAdapter.bindMessageHandlers builds, for EVERY socket and EVERY @SubscribeMessage handler, an
// RxJS pipeline (fromEvent → mergeMap → filter/map → takeUntil(disconnect$)) plus a shared
// disconnect$ observable; those subscriber objects stay on the heap for the socket's lifetime.
// This preload replaces it with one plain socket.on listener per event with the same behaviour:
// the handler's result (value, promise or observable) is sent as the ack, or emitted when it is
// {event, data}; nil results send nothing; acks handled manually are left alone.

const { IoAdapter } = require('@nestjs/platform-socket.io');

function deliver(socket, response, ack, manual) {
  if (response === null || response === undefined) return;
  if (response.event) return socket.emit(response.event, response.data);
  if (!manual && typeof ack === 'function') ack(response);
}

IoAdapter.prototype.bindMessageHandlers = function bindMessageHandlers(socket, handlers) {
  for (const { message, callback, isAckHandledManually } of handlers) {
    socket.on(message, (...args) => {
      const { data, ack } = this.mapPayload(args.length === 1 ? args[0] : args);
      let result;
      try {
        result = callback(data, ack);
      } catch {
        return; // Nest's exception zone has already reported it
      }
      if (result && typeof result.then === 'function') {
        result.then(
          (r) => {
            if (r && typeof r.subscribe === 'function')
              r.subscribe((v) => deliver(socket, v, ack, isAckHandledManually));
            else deliver(socket, r, ack, isAckHandledManually);
          },
          () => undefined,
        );
      } else if (result && typeof result.subscribe === 'function') {
        result.subscribe((v) => deliver(socket, v, ack, isAckHandledManually));
      } else {
        deliver(socket, result, ack, isAckHandledManually);
      }
    });
  }
};
