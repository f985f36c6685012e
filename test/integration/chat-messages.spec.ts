import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ChatMessageEntity } from '../../src/chat/chat-message.entity';
import { ChatMessagesRepository } from '../../src/chat/chat-messages.repository';
import { ChatRetentionJob } from '../../src/chat/chat-retention.job';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/typeorm-options';
import { LifecycleService } from '../../src/lifecycle/lifecycle.service';
import { RoomBanEntity } from '../../src/rooms/room-ban.entity';
import { RoomBansRepository } from '../../src/rooms/room-bans.repository';
import type { RoomsService } from '../../src/rooms/rooms.service';
import { createTestDatabase } from '../helpers/modes';
import { hasPostgres, reportSkip } from '../helpers/services';

/** The chat repositories and the retention job against real databases, both dialects. */
function behaves(
  dialect: string,
  open: () => Promise<{ env: Record<string, string>; close(): Promise<void> }>,
) {
  describe(`chat persistence (${dialect})`, () => {
    let ds: DataSource;
    let config: AppConfig;
    let messages: ChatMessagesRepository;
    let bans: RoomBansRepository;
    let close: () => Promise<void>;

    beforeAll(async () => {
      const db = await open();
      close = db.close;
      config = loadConfig(db.env);
      ds = new DataSource(buildDataSourceOptions(config));
      await ds.initialize();
      await ds.runMigrations({ transaction: 'each' });
      messages = new ChatMessagesRepository(ds.getRepository(ChatMessageEntity));
      bans = new RoomBansRepository(ds.getRepository(RoomBanEntity));
    });
    afterAll(async () => {
      await ds?.destroy();
      await close?.();
    });

    const send = (
      roomId: string,
      userId: string,
      text: string,
      clientMsgId: string | null = null,
    ) => messages.insert({ roomId, userId, displayName: 'U', text, clientMsgId });

    it('keeps one message per (user, clientMsgId) and finds it again', async () => {
      const [room, u1, u2] = [randomUUID(), randomUUID(), randomUUID()];
      const first = await send(room, u1, 'a', 'cm-1');
      expect(first).not.toBeNull();
      expect(await send(room, u1, 'b', 'cm-1')).toBeNull();
      expect(await send(room, u2, 'c', 'cm-1')).not.toBeNull();
      expect((await messages.findByClientMsgId(u1, 'cm-1'))?.id).toBe(first!.id);
      // Messages without clientMsgId never collide.
      expect(await send(room, u1, 'd')).not.toBeNull();
      expect(await send(room, u1, 'd')).not.toBeNull();
    });

    it('pages visible messages newest first with millisecond order and leaves hidden ones out', async () => {
      const room = randomUUID();
      const repo = ds.getRepository(ChatMessageEntity);
      const base = Date.now() - 10_000;
      const ids: string[] = [];
      // One millisecond apart (the finest the clock gives; equal times fall back to id order).
      for (let i = 0; i < 7; i++) {
        const row = repo.create({
          id: randomUUID(),
          roomId: room,
          userId: randomUUID(),
          displayName: 'U',
          text: `m${i}`,
          clientMsgId: null,
          hiddenAt: null,
          createdAt: new Date(base + i),
        });
        await repo.insert(row);
        ids.push(row.id);
      }
      expect(await messages.hide(ids[3])).toBe(true);
      expect(await messages.hide(ids[3])).toBe(false);
      const page1 = await messages.pageVisibleByRoom(room, undefined, 4);
      expect(page1.map((m) => m.text)).toEqual(['m6', 'm5', 'm4', 'm2', 'm1']);
      const last = page1[3];
      const page2 = await messages.pageVisibleByRoom(
        room,
        { createdAt: last.createdAt, id: last.id },
        4,
      );
      expect(page2.map((m) => m.text)).toEqual(['m1', 'm0']);
      expect(await messages.pageVisibleByRoom(randomUUID(), undefined, 4)).toEqual([]);
    });

    it('keeps the acceptance order of messages sent within the same millisecond', async () => {
      const room = randomUUID();
      for (let i = 0; i < 20; i++) await send(room, randomUUID(), `burst ${i}`);
      const page = await messages.pageVisibleByRoom(room, undefined, 50);
      expect(page.map((m) => m.text)).toEqual(
        Array.from({ length: 20 }, (_, i) => `burst ${19 - i}`),
      );
    });

    it('finds a ban only while it is in force', async () => {
      const [room, user] = [randomUUID(), randomUUID()];
      const now = new Date();
      await bans.upsert({
        roomId: room,
        userId: user,
        until: new Date(now.getTime() + 60_000),
        createdById: randomUUID(),
      });
      expect(await bans.findActive(room, user, now)).not.toBeNull();
      expect(await bans.findActive(room, user, new Date(now.getTime() + 61_000))).toBeNull();
      await bans.upsert({ roomId: room, userId: user, until: null, createdById: randomUUID() });
      expect(
        (await bans.findActive(room, user, new Date(now.getTime() + 10 ** 9)))?.until,
      ).toBeNull();
      expect(await bans.lift(room, user)).toBe(true);
      expect(await bans.findActive(room, user, now)).toBeNull();
    });

    it('retention deletes only messages older than CHAT_RETENTION_DAYS, in batches, and expired bans', async () => {
      const room = randomUUID();
      const repo = ds.getRepository(ChatMessageEntity);
      const old = new Date(Date.now() - 40 * 86400_000);
      const rows = Array.from({ length: 1205 }, (_, i) =>
        repo.create({
          id: randomUUID(),
          roomId: room,
          userId: randomUUID(),
          displayName: 'U',
          text: `old ${i}`,
          clientMsgId: null,
          hiddenAt: null,
          createdAt: new Date(old.getTime() + i),
        }),
      );
      for (let i = 0; i < rows.length; i += 200) await repo.insert(rows.slice(i, i + 200));
      const fresh = await send(room, randomUUID(), 'fresh');
      const [banRoom, banned] = [randomUUID(), randomUUID()];
      await bans.upsert({
        roomId: banRoom,
        userId: banned,
        until: new Date(Date.now() - 1000),
        createdById: randomUUID(),
      });

      const fakeRooms = {
        pruneExpiredBans: (now: Date, batch: number) => bans.deleteExpired(now, batch),
      } as unknown as RoomsService;
      const job = new ChatRetentionJob(
        { ...config, chat: { ...config.chat, retentionDays: 30 } },
        messages,
        fakeRooms,
        new LifecycleService(),
      );
      expect(await job.run()).toBeGreaterThanOrEqual(1205);
      const left = await messages.pageVisibleByRoom(room, undefined, 100);
      expect(left.map((m) => m.id)).toEqual([fresh!.id]);
      expect(await ds.getRepository(RoomBanEntity).countBy({ roomId: banRoom })).toBe(0);

      const keepForever = new ChatRetentionJob(
        { ...config, chat: { ...config.chat, retentionDays: 0 } },
        messages,
        fakeRooms,
        new LifecycleService(),
      );
      await repo.insert(
        repo.create({
          id: randomUUID(),
          roomId: room,
          userId: randomUUID(),
          displayName: 'U',
          text: 'ancient',
          clientMsgId: null,
          hiddenAt: null,
          createdAt: old,
        }),
      );
      expect(await keepForever.run()).toBe(0);
      expect((await messages.pageVisibleByRoom(room, undefined, 100)).map((m) => m.text)).toContain(
        'ancient',
      );
    });
  });
}

behaves('SQLite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-chat-'));
  return {
    env: { DATA_DIR: dir },
    close: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

if (hasPostgres()) {
  behaves('PostgreSQL', async () => {
    const db = await createTestDatabase();
    return { env: { DATABASE_URL: db.url }, close: () => db.drop() };
  });
} else {
  reportSkip('chat persistence on PostgreSQL', 'PostgreSQL not reachable');
}
