/**
 * A chat message is acknowledged and broadcast only once it is stored: while PostgreSQL cannot
 * take the insert, the sender gets no ack and the room hears nothing.
 */
import { Client } from 'pg';
import { startApp, TestApp } from '../helpers/app';
import { describeWithServices } from '../helpers/services';
import { until } from '../helpers/wait';
import { connectChat, emitAck, SocketOutcome } from '../security/support';

describeWithServices('chat acknowledges only what is stored (clustered)', () => {
  let t: TestApp;
  let roomId: string;
  let sender: SocketOutcome;
  let watcher: SocketOutcome;
  const heard: string[] = [];

  beforeAll(async () => {
    t = await startApp('clustered');
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
    await t?.close();
  });

  it('sends no ack and no broadcast while the messages table is locked, and both once it is released', async () => {
    const locker = new Client({ connectionString: t.env.DATABASE_URL });
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
});
