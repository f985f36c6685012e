import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsNumber, Max, Min } from 'class-validator';
import type { PlaybackProgress } from '../progress.store';

/** Ten days: far beyond any real video, small enough to keep garbage out of the store. */
export const MAX_POSITION_SEC = 864_000;

export class UpdateProgressDto {
  @ApiProperty({
    minimum: 0,
    maximum: MAX_POSITION_SEC,
    example: 73.5,
    description: 'Seconds from the start; at most the duration when it is known',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(MAX_POSITION_SEC)
  positionSec!: number;

  @ApiProperty({ example: false })
  @IsBoolean()
  paused!: boolean;
}

export class ProgressDto {
  @ApiProperty({ example: 73.5 })
  positionSec!: number;
  @ApiProperty({ example: false })
  paused!: boolean;
  @ApiProperty({
    format: 'date-time',
    example: '2026-11-21T12:00:00.000Z',
    description: 'When the server received the write',
  })
  updatedAt!: string;

  static from(p: PlaybackProgress): ProgressDto {
    return { positionSec: p.positionSec, paused: p.paused, updatedAt: p.updatedAt.toISOString() };
  }
}
