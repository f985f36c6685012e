import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { PageQueryDto } from '../common/pagination';
import type { RoomStatus } from './room.entity';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export const ROOM_STATUSES: readonly RoomStatus[] = ['open', 'closed'];
export const MAX_BAN_SEC = 365 * 86400;
/** Client-chosen id of an anonymous viewer: a short opaque token (e.g. a random id kept in localStorage). */
export const VIEWER_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export class CreateRoomDto {
  @ApiProperty({ minLength: 1, maxLength: 80, example: 'Friday night tech talk' })
  @Transform(trim)
  @IsString()
  @Length(1, 80)
  name!: string;

  @ApiPropertyOptional({ maxLength: 500, default: '', example: 'Q&A after the talk. Be kind.' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class UpdateRoomDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 80, example: 'Friday night tech talk (part 2)' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 80)
  name?: string;

  @ApiPropertyOptional({ maxLength: 500, example: 'Slides: https://example.com/slides' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class ListRoomsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ROOM_STATUSES, default: 'open', example: 'open' })
  @IsOptional()
  @IsIn(ROOM_STATUSES)
  status?: RoomStatus;
}

export class BanUserDto {
  @ApiProperty({ format: 'uuid', example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11' })
  @IsUUID()
  userId!: string;

  @ApiPropertyOptional({
    description: 'How long the ban lasts; omit for a ban until lifted',
    minimum: 1,
    maximum: MAX_BAN_SEC,
    example: 600,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_BAN_SEC)
  durationSec?: number;
}

export class HeartbeatDto {
  @ApiPropertyOptional({
    description:
      'Anonymous viewers: a stable id of their choosing (8..64 of [A-Za-z0-9_-]). Ignored for signed-in users, who are identified by their token.',
    pattern: VIEWER_ID_PATTERN.source,
    example: 'k3J9vQ2xLm8aP0s1',
  })
  @IsOptional()
  @IsString()
  @Matches(VIEWER_ID_PATTERN, { message: 'viewerId must be 8..64 characters of [A-Za-z0-9_-]' })
  viewerId?: string;
}

export class RoomDto {
  @ApiProperty({ format: 'uuid', example: '0b6f7f4e-2a4b-4f49-9a57-2d4a7f0c9e11' })
  id!: string;
  @ApiProperty({ example: 'Friday night tech talk' })
  name!: string;
  @ApiProperty({ example: 'Q&A after the talk. Be kind.' })
  description!: string;
  @ApiProperty({
    format: 'uuid',
    description: 'The owner of the room',
    example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11',
  })
  hostId!: string;
  @ApiProperty({ enum: ROOM_STATUSES, example: 'open' })
  status!: RoomStatus;
  @ApiProperty({
    description: 'Viewers online now (sockets in the room + recent heartbeats), each counted once',
    example: 42,
  })
  onlineCount!: number;
  @ApiProperty({ format: 'date-time', example: '2026-11-21T12:00:00.000Z' })
  createdAt!: string;
}

export class RoomDetailDto extends RoomDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'Public view of the stream live in this room (as GET /api/v1/streams/:id), or null',
    example: null,
  })
  liveStream!: object | null;
}

export class RoomPageDto {
  @ApiProperty({ type: [RoomDto] })
  items!: RoomDto[];
  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

export class BanDto {
  @ApiProperty({ format: 'uuid', example: '0b6f7f4e-2a4b-4f49-9a57-2d4a7f0c9e11' })
  roomId!: string;
  @ApiProperty({ format: 'uuid', example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11' })
  userId!: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'null = until lifted',
    example: '2026-11-21T12:10:00.000Z',
  })
  until!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-21T12:00:00.000Z' })
  createdAt!: string;
}

export class PresenceMemberDto {
  @ApiProperty({ format: 'uuid', example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11' })
  userId!: string;
  @ApiProperty({ example: 'Alice' })
  displayName!: string;
}

export class PresenceDto {
  @ApiProperty({ format: 'uuid', example: '0b6f7f4e-2a4b-4f49-9a57-2d4a7f0c9e11' })
  roomId!: string;
  @ApiProperty({ description: 'Everybody online, anonymous viewers included', example: 42 })
  onlineCount!: number;
  @ApiProperty({
    type: [PresenceMemberDto],
    description: 'Signed-in viewers online (at most 500), by display name',
  })
  members!: PresenceMemberDto[];
}
