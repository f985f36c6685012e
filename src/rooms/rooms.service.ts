import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DomainEventBus } from '../common/domain-event-bus';
import type { AuthUser } from '../auth/auth.types';
import { canManage } from '../auth/auth.types';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  ValidationFailedError,
} from '../common/errors';
import { decodeCursor, Page, toPage } from '../common/pagination';
import { LiveStreamLookup } from '../common/ports';
import { TtlCache } from '../common/ttl-cache';
import { parseUuid } from '../common/uuid.pipe';
import { anonymousViewerId, PresenceService, PresenceViewer } from '../presence/presence.service';
import { UsersRepository } from '../users/users.repository';
import { RoomBanEntity } from './room-ban.entity';
import { RoomBansRepository } from './room-bans.repository';
import { RoomEntity, RoomStatus } from './room.entity';
import {
  ROOM_CLOSED,
  ROOM_USER_BANNED,
  RoomClosedEvent,
  RoomUserBannedEvent,
} from '../common/ports';
import type {
  BanDto,
  BanUserDto,
  CreateRoomDto,
  HeartbeatDto,
  ListRoomsQueryDto,
  PresenceDto,
  RoomDetailDto,
  RoomDto,
  UpdateRoomDto,
} from './rooms.dto';
import { RoomsRepository } from './rooms.repository';

export class RoomClosedError extends DomainError {
  constructor() {
    super('ROOM_CLOSED', 'room is closed');
  }
}

/** How long a room's status may be served from memory on hot paths (REST heartbeats). */
const STATUS_CACHE_MS = 5000;
const STATUS_CACHE_MAX = 10000;

@Injectable()
export class RoomsService {
  private readonly log = new Logger(RoomsService.name);
  private readonly statusCache = new TtlCache<RoomStatus>(STATUS_CACHE_MS, STATUS_CACHE_MAX);

  constructor(
    private readonly rooms: RoomsRepository,
    private readonly bans: RoomBansRepository,
    private readonly users: UsersRepository,
    private readonly presence: PresenceService,
    private readonly events: DomainEventBus,
    // Provided by streams when present; rooms answer liveStream: null without it.
    @Optional() @Inject(LiveStreamLookup) private readonly liveStreams?: LiveStreamLookup,
  ) {}

  async create(user: AuthUser, dto: CreateRoomDto): Promise<RoomDto> {
    const room = await this.rooms.create({
      name: dto.name,
      description: dto.description ?? '',
      hostId: user.id,
    });
    return toRoomDto(room, 0);
  }

  async list(q: ListRoomsQueryDto): Promise<Page<RoomDto>> {
    const limit = q.limit ?? 20;
    const status = q.status ?? 'open';
    const rows = await this.rooms.listByStatus(status, decodeCursor(q.cursor), limit);
    const page = toPage(rows, limit, (r) => r);
    const counts =
      status === 'open' && page.items.length
        ? await this.presence.counts(page.items.map((r) => r.id))
        : new Map<string, number>();
    return {
      items: page.items.map((r) => toRoomDto(r, counts.get(r.id) ?? 0)),
      nextCursor: page.nextCursor,
    };
  }

  async get(id: string): Promise<RoomDetailDto> {
    const room = await this.require(id);
    const [onlineCount, liveStream] = await Promise.all([
      room.status === 'open' ? this.presence.count(id) : Promise.resolve(0),
      this.liveStreams ? this.liveStreams.findLiveByRoom(id) : Promise.resolve(null),
    ]);
    return { ...toRoomDto(room, onlineCount), liveStream: liveStream ?? null };
  }

  async update(user: AuthUser, id: string, dto: UpdateRoomDto): Promise<RoomDto> {
    const room = await this.requireManaged(user, id);
    if (room.status !== 'open') throw new RoomClosedError();
    const patch: { name?: string; description?: string } = {};
    if (dto.name !== undefined) patch.name = dto.name;
    if (dto.description !== undefined) patch.description = dto.description;
    if (Object.keys(patch).length > 0) await this.rooms.updateDetails(id, patch);
    return toRoomDto({ ...room, ...patch }, await this.presence.count(id));
  }

  /** Closes the room (idempotent). Members are told and removed by the chat gateway on every instance. */
  async close(user: AuthUser, id: string): Promise<void> {
    await this.requireManaged(user, id);
    const changed = await this.rooms.close(id);
    this.statusCache.set(id, 'closed');
    if (!changed) return;
    this.events.emit(ROOM_CLOSED, { roomId: id } satisfies RoomClosedEvent);
    await this.presence
      .clearRoom(id)
      .catch((err: unknown) =>
        this.log.warn(
          { roomId: id, err: { message: (err as Error).message } },
          'Could not clear presence of a closed room; it ages out',
        ),
      );
  }

  async ban(user: AuthUser, roomId: string, dto: BanUserDto): Promise<BanDto> {
    const room = await this.requireManaged(user, roomId);
    if (dto.userId === room.hostId)
      throw new ConflictError('the host of a room cannot be banned from it');
    const target = await this.users.findById(dto.userId);
    if (!target) throw new NotFoundError('user');
    const until =
      dto.durationSec === undefined ? null : new Date(Date.now() + dto.durationSec * 1000);
    const ban = await this.bans.upsert({ roomId, userId: dto.userId, until, createdById: user.id });
    this.events.emit(ROOM_USER_BANNED, {
      roomId,
      userId: dto.userId,
      until,
    } satisfies RoomUserBannedEvent);
    return toBanDto(ban);
  }

  async unban(user: AuthUser, roomId: string, userId: string): Promise<void> {
    await this.requireManaged(user, roomId);
    await this.bans.lift(roomId, userId);
  }

  /** The ban in force for a user, if any (checked on every chat send). */
  findActiveBan(roomId: string, userId: string): Promise<RoomBanEntity | null> {
    return this.bans.findActive(roomId, userId, new Date());
  }

  /** Housekeeping: removes at most `batch` expired bans. */
  pruneExpiredBans(now: Date, batch: number): Promise<number> {
    return this.bans.deleteExpired(now, batch);
  }

  async heartbeat(roomId: string, user: AuthUser | undefined, dto: HeartbeatDto): Promise<void> {
    let viewer: PresenceViewer;
    if (user) viewer = { viewerId: user.id, displayName: user.displayName };
    else if (dto.viewerId !== undefined)
      viewer = { viewerId: anonymousViewerId(dto.viewerId), displayName: null };
    else
      throw new ValidationFailedError(
        'viewerId is required for anonymous viewers (or send a bearer token)',
      );
    const status = await this.cachedStatus(roomId);
    if (status === undefined) throw new NotFoundError('room');
    if (status === 'closed') throw new RoomClosedError();
    await this.presence.httpHeartbeat(roomId, viewer);
  }

  async presenceOf(roomId: string): Promise<PresenceDto> {
    const room = await this.require(roomId);
    if (room.status !== 'open') return { roomId, onlineCount: 0, members: [] };
    const snap = await this.presence.snapshot(roomId);
    return {
      roomId,
      onlineCount: snap.onlineCount,
      members: snap.members.map((m) => ({ userId: m.viewerId, displayName: m.displayName })),
    };
  }

  /** For room:join: the room, which must exist and be open (always read fresh). */
  async requireOpen(id: string): Promise<RoomEntity> {
    const room = await this.require(id);
    if (room.status !== 'open') throw new RoomClosedError();
    return room;
  }

  async require(id: string): Promise<RoomEntity> {
    const uuid = parseUuid(id);
    const room = uuid === null ? null : await this.rooms.findById(uuid);
    if (!room) throw new NotFoundError('room');
    return room;
  }

  async status(roomId: string): Promise<RoomStatus | undefined> {
    const id = parseUuid(roomId);
    if (id === null) return undefined;
    return (await this.rooms.findById(id))?.status;
  }

  private async requireManaged(user: AuthUser, id: string): Promise<RoomEntity> {
    const room = await this.require(id);
    if (!canManage(user, room.hostId))
      throw new ForbiddenError('only the host of the room or an admin may do this');
    return room;
  }

  private async cachedStatus(id: string): Promise<RoomStatus | undefined> {
    const now = Date.now();
    const hit = this.statusCache.get(id, now);
    if (hit !== undefined) return hit;
    const status = await this.status(id);
    if (status !== undefined) this.statusCache.set(id, status, now);
    return status;
  }
}

export function toRoomDto(r: RoomEntity, onlineCount: number): RoomDto {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    hostId: r.hostId,
    status: r.status,
    onlineCount,
    createdAt: r.createdAt.toISOString(),
  };
}

function toBanDto(b: RoomBanEntity): BanDto {
  return {
    roomId: b.roomId,
    userId: b.userId,
    until: b.until ? b.until.toISOString() : null,
    createdAt: b.createdAt.toISOString(),
  };
}
