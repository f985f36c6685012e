import { ApiProperty } from '@nestjs/swagger';
import { PlaybackSessionDto } from '../../playback/dto/playback-session.dto';
import type { StreamAccess, StreamStatus } from '../stream.entity';
import { STREAM_ACCESS } from './create-stream.dto';
import { STREAM_STATUSES } from './list-streams.query';

/** Public view: what anyone may see. Never contains the key. */
export class StreamDto {
  @ApiProperty({ format: 'uuid', example: '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b' })
  id!: string;
  @ApiProperty({ example: 'Tech talk' })
  title!: string;
  @ApiProperty({ enum: STREAM_STATUSES, example: 'idle' })
  status!: StreamStatus;
  @ApiProperty({
    enum: STREAM_ACCESS,
    example: 'public',
    description: 'public: anyone may play; members: signed-in users (owner and admins always)',
  })
  access!: StreamAccess;
  @ApiProperty({ format: 'uuid', example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11' })
  ownerId!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, example: null })
  roomId!: string | null;
  @ApiProperty({
    description:
      'Distinct playback sessions seen within PLAY_SESSION_TTL_SEC over every protocol (0 unless live)',
    example: 0,
  })
  viewers!: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  startedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  endedAt!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-21T12:00:00.000Z' })
  createdAt!: string;
}

export class IngestDto {
  @ApiProperty({
    example: 'rtmp://localhost:1935/live',
    description: 'Server URL for OBS and similar encoders',
  })
  rtmpUrl!: string;
  @ApiProperty({
    example: '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b?key=q3v9Jd0T0m2lB6yZ8xWcN1rK4pH7sF5eA0uGiOoLkMn',
    description: 'Stream name / key field for encoders',
  })
  streamName!: string;
  @ApiProperty({
    example:
      'rtmp://localhost:1935/live/2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b?key=q3v9Jd0T0m2lB6yZ8xWcN1rK4pH7sF5eA0uGiOoLkMn',
    description: 'Full URL (e.g. for ffmpeg)',
  })
  url!: string;
}

/** Owner view returned once, by create and by key rotation. */
export class StreamWithKeyDto extends StreamDto {
  @ApiProperty({
    description: 'The stream key. Shown only in this response; store it now.',
    example: 'q3v9Jd0T0m2lB6yZ8xWcN1rK4pH7sF5eA0uGiOoLkMn',
  })
  streamKey!: string;
  @ApiProperty({
    type: PlaybackSessionDto,
    description:
      "A playback session for the owner's own preview (same as POST /streams/:id/playback)",
  })
  playback!: PlaybackSessionDto;
  @ApiProperty({ type: IngestDto })
  ingest!: IngestDto;
}

export class StreamPageDto {
  @ApiProperty({ type: [StreamDto] })
  items!: StreamDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Pass as ?cursor= for the next page; null on the last page',
  })
  nextCursor!: string | null;
}
