import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import type { StreamStatus } from '../stream.entity';
import { lowerString } from './create-stream.dto';

export const STREAM_STATUSES: readonly StreamStatus[] = ['idle', 'live', 'ended'];

export class ListStreamsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: STREAM_STATUSES, example: 'live' })
  @IsOptional()
  @IsIn(STREAM_STATUSES)
  status?: StreamStatus;

  @ApiPropertyOptional({ format: 'uuid', example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11' })
  @IsOptional()
  @Transform(lowerString)
  @IsUUID()
  ownerId?: string;
}
