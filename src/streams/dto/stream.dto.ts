import { ApiProperty } from '@nestjs/swagger';
import type { StreamStatus } from '../stream.entity';
import { STREAM_STATUSES } from './list-streams.query';

export class PlaybackDto {
  @ApiProperty({
    example:
      'http://localhost:8080/hls/2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b.m3u8?exp=1795300000&sig=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg',
    description: 'Signed HLS URL',
  })
  hls!: string;
  @ApiProperty({
    example:
      'http://localhost:8080/live/2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b.flv?exp=1795300000&sig=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg',
    description: 'Signed HTTP-FLV URL',
  })
  flv!: string;
}

/** Public view: what anyone may see. Never contains the key. */
export class StreamDto {
  @ApiProperty({ format: 'uuid', example: '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b' })
  id!: string;
  @ApiProperty({ example: 'Tech talk' })
  title!: string;
  @ApiProperty({ enum: STREAM_STATUSES, example: 'idle' })
  status!: StreamStatus;
  @ApiProperty({ format: 'uuid', example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11' })
  ownerId!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, example: null })
  roomId!: string | null;
  @ApiProperty({ description: 'Players currently counted by the media-server hooks', example: 0 })
  viewers!: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  startedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  endedAt!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-21T12:00:00.000Z' })
  createdAt!: string;
  @ApiProperty({ type: PlaybackDto })
  playback!: PlaybackDto;
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
