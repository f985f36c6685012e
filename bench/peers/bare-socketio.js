'use strict';
// Ceiling for P4/P5: a bare Socket.IO server with the same surface the bench uses on OnAir's
// /chat namespace (room:join with ack, chat:send with ack and a room broadcast of chat:message
// with the same payload shape). No auth, no persistence, no metrics.

const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { Server } = require('socket.io');

const port = Number(process.env.PORT || 3901);
const server = http.createServer((req, res) => {
  if (req.url === '/health/ready') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    // Engine-level clients, so "0" means every transport has really closed.
    res.end(
      JSON.stringify({
        status: 'UP',
        websocketConnections: Math.max(chat.sockets.size, io.engine.clientsCount),
      }),
    );
    return;
  }
  res.writeHead(404);
  res.end();
});
const io = new Server(server, { serveClient: false });
const chat = io.of('/chat');

chat.on('connection', (socket) => {
  const user = { id: randomUUID(), displayName: 'peer' };
  socket.on('room:join', (payload, ack) => {
    const roomId = payload && typeof payload.roomId === 'string' ? payload.roomId : null;
    if (!roomId)
      return (
        typeof ack === 'function' &&
        ack({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'roomId' } })
      );
    void socket.join(roomId);
    if (typeof ack === 'function')
      ack({ ok: true, onlineCount: chat.adapter.rooms.get(roomId)?.size ?? 0 });
  });
  socket.on('chat:send', (payload, ack) => {
    const roomId = payload && typeof payload.roomId === 'string' ? payload.roomId : null;
    const text = payload && typeof payload.text === 'string' ? payload.text.trim() : '';
    if (!roomId || !text)
      return (
        typeof ack === 'function' &&
        ack({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'roomId, text' } })
      );
    const message = { id: randomUUID(), roomId, user, text, createdAt: new Date().toISOString() };
    chat.to(roomId).emit('chat:message', message);
    if (typeof ack === 'function') ack({ ok: true, message });
  });
});

server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  io.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
