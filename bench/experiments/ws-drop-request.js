if (process.env.DROP === '1') {
  const { Server } = require('socket.io');
  const orig = Server.prototype.bind;
  Server.prototype.bind = function (engine) { const r = orig.call(this, engine); this.engine.on('connection', (raw) => { raw.request = null; }); return r; };
}
