import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Length, ValidateIf } from 'class-validator';
import type { StreamAccess } from '../stream.entity';

export const STREAM_ACCESS: readonly StreamAccess[] = ['public', 'members'];

export const trimString = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;
export const lowerString = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.toLowerCase() : value;

export class CreateStreamDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 120,
    example: 'Tech talk',
    description: 'Leading and trailing spaces are removed',
  })
  @Transform(trimString)
  @IsString()
  @Length(1, 120)
  title!: string;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    example: '3f1b2a9c-6d3e-4f7a-9b1c-2d4e6f8a0b1c',
    description: 'An open room to show the stream in',
  })
  @IsOptional()
  @Transform(lowerString)
  @IsUUID()
  roomId?: string | null;

  @ApiPropertyOptional({
    enum: STREAM_ACCESS,
    default: 'public',
    example: 'public',
    description:
      'Who may start a playback session: anyone, or signed-in users only (the owner and admins always)',
  })
  // Not @IsOptional(): that would let `"access": null` through to a NOT NULL column.
  @ValidateIf((_: unknown, v: unknown) => v !== undefined)
  @IsIn(STREAM_ACCESS)
  access?: StreamAccess;
}
