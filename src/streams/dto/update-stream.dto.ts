import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Length, ValidateIf } from 'class-validator';
import type { StreamAccess } from '../stream.entity';
import { lowerString, STREAM_ACCESS, trimString } from './create-stream.dto';

/** At least one of the fields; `roomId: null` unlinks the room. */
export class UpdateStreamDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 120, example: 'Tech talk, part 2' })
  // Not @IsOptional(): that would let `"title": null` through to a NOT NULL column.
  @ValidateIf((_: unknown, v: unknown) => v !== undefined)
  @Transform(trimString)
  @IsString()
  @Length(1, 120)
  title?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    example: '3f1b2a9c-6d3e-4f7a-9b1c-2d4e6f8a0b1c',
    description: 'An open room, or null to unlink',
  })
  @IsOptional()
  @Transform(lowerString)
  @IsUUID()
  roomId?: string | null;

  @ApiPropertyOptional({ enum: STREAM_ACCESS, example: 'members' })
  // Not @IsOptional(): `"access": null` is not a value the column can take.
  @ValidateIf((_: unknown, v: unknown) => v !== undefined)
  @IsIn(STREAM_ACCESS)
  access?: StreamAccess;
}
