import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { parseUuid } from '../common/uuid.pipe';
import { VIEWER_ID_PATTERN } from '../rooms/rooms.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/**
 * Ids arrive as the database stores them (lower-case), like HTTP path ids. Anything else is left
 * as sent, so @IsUUID answers a malformed one exactly as before.
 */
const id = ({ value }: { value: unknown }) => parseUuid(value) ?? value;

export const MAX_TEXT = 500;

/** room:join. viewerId lets an anonymous viewer be counted once across its tabs and its player heartbeats. */
export class JoinRoomPayload {
  @Transform(id)
  @IsUUID()
  roomId!: string;

  @IsOptional()
  @IsString()
  @Matches(VIEWER_ID_PATTERN, { message: 'viewerId must be 8..64 characters of [A-Za-z0-9_-]' })
  viewerId?: string;
}

/** room:leave, presence:heartbeat. */
export class RoomPayload {
  @Transform(id)
  @IsUUID()
  roomId!: string;
}

export class SendMessagePayload {
  @Transform(id)
  @IsUUID()
  roomId!: string;

  @Transform(trim)
  @IsString()
  @Length(1, MAX_TEXT, { message: `text must be 1..${MAX_TEXT} characters after trimming` })
  text!: string;

  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, {
    message: 'clientMsgId must be 1..64 characters of [A-Za-z0-9_.:-]',
  })
  clientMsgId?: string;
}

export class DeleteMessagePayload {
  @Transform(id)
  @IsUUID()
  messageId!: string;
}

// --- HTTP (history) -------------------------------------------------------------------

export class ChatUserDto {
  @ApiProperty({ format: 'uuid', example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11' })
  id!: string;
  @ApiProperty({ description: 'As it was when the message was sent', example: 'Alice' })
  displayName!: string;
}

export class ChatMessageDto {
  @ApiProperty({ format: 'uuid', example: '3d0c8a5e-1f7b-4c1e-8f4e-5b6a7c8d9e01' })
  id!: string;
  @ApiProperty({ format: 'uuid', example: '0b6f7f4e-2a4b-4f49-9a57-2d4a7f0c9e11' })
  roomId!: string;
  @ApiProperty({ type: ChatUserDto })
  user!: ChatUserDto;
  @ApiProperty({ example: 'Hello everyone!' })
  text!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-21T12:00:00.000Z' })
  createdAt!: string;
}

export class ChatMessagePageDto {
  @ApiProperty({ type: [ChatMessageDto] })
  items!: ChatMessageDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'eyJ0IjoiMjAyNi0xMS0yMVQxMjowMDowMC4wMDBaIiwiaSI6Ii4uLiJ9',
  })
  nextCursor!: string | null;
}
