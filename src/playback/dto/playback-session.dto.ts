import { ApiProperty } from '@nestjs/swagger';

const Q =
  'sid=9nq3Yk0fQm2lB6yZ8xWcNg&exp=1795300000&sig=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg';
const ID = '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b';

/** One player's playback session and its signed URLs (POST /streams/:id/playback). */
export class PlaybackSessionDto {
  @ApiProperty({
    example: '9nq3Yk0fQm2lB6yZ8xWcNg',
    description: 'Session id (128 random bits, base64url); the `sid` of every URL below',
  })
  sessionId!: string;
  @ApiProperty({
    format: 'date-time',
    example: '2026-11-21T13:00:00.000Z',
    description: 'The URLs are refused from this moment (PLAY_URL_TTL_SEC after issue)',
  })
  expiresAt!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: `http://localhost:8080/hls/${ID}.m3u8?${Q}`,
    description: 'HLS playlist (HLS_BASE_URL); null when not configured',
  })
  hls!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description:
      'HTTP-FLV (FLV_BASE_URL, e.g. SRS); null when not configured (nginx-rtmp cannot serve live HTTP-FLV)',
  })
  flv!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: `rtmp://localhost:1935/live/${ID}?${Q}`,
    description: 'RTMP play URL (RTMP_PLAY_URL, default the ingest base)',
  })
  rtmp!: string | null;
}
