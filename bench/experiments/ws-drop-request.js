'use strict';
// Experiment: Socket.IO's documented memory tip — drop the HTTP upgrade request each engine.io
// connection keeps (`rawSocket.request = null` on the engine's "connection" event). Measured on
// bare Socket.IO with 2,000 sockets it changed nothing measurable (11,509 → 11,561 B/socket, see
// README F3); kept so the measurement can be repeated (`--only P4 --experiment ws-drop-request`).

const { Server } = require('socket.io');

const bind = Server.prototype.bind;
Server.prototype.bind = function (engine) {
  const r = bind.call(this, engine);
  this.engine.on('connection', (raw) => {
    raw.request = null;
  });
  return r;
};
