/**
 * A chat message is acknowledged and broadcast only once it is stored: while PostgreSQL cannot
 * take the insert, the sender gets no ack and the room hears nothing.
 */
import { Client } from 'pg';
import { createTestDatabase, modeEnv, ModeEnv } from '../helpers/modes';
import { AppProcess, spawnApp } from '../helpers/process';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';
import { describeWithServices } from '../helpers/services';
import { until } from '../helpers/wait';
import { connectChat, emitAck, SocketOutcome } from '../security/support';

describeWithServices('chat acknowledges only what is stored (clustered)', () => {
  // A real process: driver errors must be seen the way production sees them (a jest sandbox
  // has its own Error class, so `instanceof Error` fails for errors raised by Node's net module).
  let m: ModeEnv;
  let t: AppProcess;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let roomId: string;
  let sender: SocketOutcome;
  let watcher: SocketOutcome;
  const heard: string[] = [];

  beforeAll(async () => {
    // The app reaches PostgreSQL through a proxy that can cut the link.
    db = await createTestDatabase();
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(db.url).port || 5432));
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    m = await modeEnv('clustered', { DATABASE_URL: viaProxy.toString() });
    t = await spawnApp(m.env);
    const u = await t.http.user('persist');
    roomId = (await t.http.post('/api/v1/rooms', { name: 'persistence' }, u.token)).body.id;
    sender = await connectChat(t.url, { auth: { token: u.token } });
    watcher = await connectChat(t.url);
    for (const s of [sender, watcher])
      expect(await emitAck(s.socket, 'room:join', { roomId })).toMatchObject({ ok: true });
    watcher.socket.on('chat:message', (m: { text: string }) => heard.push(m.text));
  });
  afterAll(async () => {
    sender?.socket.close();
    watcher?.socket.close();
    await t?.stop('SIGKILL');
    await m?.cleanup();
    await proxy?.close();
    await db?.drop();
  });

  it('sends no ack and no broadcast while the messages table is locked, and both once it is released', async () => {
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE');
      let acked: unknown;
      const ack = emitAck(sender.socket, 'chat:send', { roomId, text: 'held by a lock' }, 15_000);
      void ack.then((a) => (acked = a));
      // The insert is really waiting on the lock (not yet sent, or already failed).
      await until(
        async () =>
          Number(
            (
              await locker.query(
                `SELECT count(*) AS n FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'`,
              )
            ).rows[0].n,
          ) > 0,
        { message: 'the insert never waited on the lock' },
      );
      expect(acked).toBeUndefined();
      expect(heard).toEqual([]);
      await locker.query('ROLLBACK');
      expect(await ack).toMatchObject({ ok: true, message: { text: 'held by a lock' } });
      await until(() => heard.includes('held by a lock'), {
        message: 'no broadcast after the ack',
      });
    } finally {
      await locker.end();
    }
  });

  it('answers SERVICE_UNAVAILABLE while the database is cut, and the message never appears', async () => {
    proxy.cut('reset');
    try {
      const ack = await emitAck(sender.socket, 'chat:send', { roomId, text: 'lost' }, 15_000);
      expect(ack).toMatchObject({ ok: false, error: { code: 'SERVICE_UNAVAILABLE' } });
    } finally {
      proxy.restore();
    }
    await until(async () => (await t.http.get(`/api/v1/rooms/${roomId}/messages`)).status === 200, {
      timeoutMs: 10_000,
      message: 'the database never came back',
    });
    const texts = (await t.http.get(`/api/v1/rooms/${roomId}/messages?limit=100`)).body.items.map(
      (m: { text: string }) => m.text,
    );
    expect(texts).not.toContain('lost');
    expect(heard).not.toContain('lost');
  });
});
