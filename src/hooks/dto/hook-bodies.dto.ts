import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/*
 * Documentation of the bodies media servers send. They are parsed tolerantly by
 * hook-calls.ts rather than by the global ValidationPipe: nginx-rtmp appends the client's own
 * query arguments as extra form fields and media servers add fields between versions, so
 * "unknown properties are rejected" cannot apply here. Fields we act on are checked there.
 */

export class NginxRtmpHookBodyDto {
  @ApiProperty({
    enum: [
      'publish',
      'publish_done',
      'play',
      'play_done',
      'done',
      'update',
      'update_publish',
      'connect',
      'record_done',
    ],
    example: 'publish',
    description:
      'done/update/connect are answered 200 without effect; update_publish is 200 only while the publisher may go on; record_done queues the recording in `path` for import as a video (200 once queued, also when it is refused: see the log and recordings_total)',
  })
  call!: string;
  @ApiProperty({ example: 'live' })
  app!: string;
  @ApiProperty({
    example: '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b',
    description: 'Stream name = stream id',
  })
  name!: string;
  @ApiProperty({ example: '127.0.0.1' })
  addr!: string;
  @ApiProperty({
    example: '3',
    description: 'nginx-rtmp session id; publish_done only ends the session that went live',
  })
  clientid!: string;
  @ApiPropertyOptional({ example: 'rtmp://127.0.0.1:1935/live' })
  tcurl?: string;
  @ApiPropertyOptional({ example: 'FMLE/3.0 (compatible; Lavf59.27' })
  flashver?: string;
  @ApiPropertyOptional({ example: '' })
  swfurl?: string;
  @ApiPropertyOptional({ example: '' })
  pageurl?: string;
  @ApiPropertyOptional({ example: 'live' })
  type?: string;
  @ApiPropertyOptional({
    example: 'q3v9Jd0T0m2lB6yZ8xWcN1rK4pH7sF5eA0uGiOoLkMn',
    description: "publish: stream key from the publisher's ?key=",
  })
  key?: string;
  @ApiPropertyOptional({
    example: '1795300000',
    description: "play/play_done: from the player's signed URL",
  })
  exp?: string;
  @ApiPropertyOptional({
    example: '/var/lib/nginx-rtmp/recordings/2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b-1764600000.flv',
    description:
      'record_done: the finished recording; imported only when its real path is inside RECORDINGS_DIR',
  })
  path?: string;
  @ApiPropertyOptional({
    example: 'Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg',
    description: "play/play_done: from the player's signed URL",
  })
  sig?: string;
}

export class SrsHookBodyDto {
  @ApiProperty({
    enum: [
      'on_publish',
      'on_unpublish',
      'on_play',
      'on_stop',
      'on_connect',
      'on_close',
      'on_dvr',
      'on_hls',
      'on_hls_notify',
    ],
    example: 'on_publish',
  })
  action!: string;
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'integer' }], example: '341w361a' })
  client_id!: string | number;
  @ApiProperty({ example: '127.0.0.1' })
  ip!: string;
  @ApiPropertyOptional({ example: '__defaultVhost__' })
  vhost?: string;
  @ApiProperty({ example: 'live' })
  app!: string;
  @ApiProperty({
    example: '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b',
    description: 'Stream name = stream id',
  })
  stream!: string;
  @ApiProperty({
    example: '?key=q3v9Jd0T0m2lB6yZ8xWcN1rK4pH7sF5eA0uGiOoLkMn',
    description: 'Client query: ?key= for publish, ?exp=&sig= for play',
  })
  param!: string;
  @ApiPropertyOptional({ example: 'rtmp://127.0.0.1/live' })
  tcUrl?: string;
  @ApiPropertyOptional({ example: '/live/2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b' })
  stream_url?: string;
  @ApiPropertyOptional({ example: 'vid-124q9y3' })
  stream_id?: string;
  @ApiPropertyOptional({ example: 'vid-0xk989d' })
  server_id?: string;
  @ApiPropertyOptional({ example: 'f4o4aw1l' })
  service_id?: string;
  @ApiPropertyOptional({
    example: '/var/lib/srs/recordings/live/2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b.1764600000000.flv',
    description:
      'on_dvr: the finished recording (relative paths are resolved against cwd); imported only when its real path is inside RECORDINGS_DIR. Answered {"code":0} once queued, also when refused.',
  })
  file?: string;
  @ApiPropertyOptional({
    example: '/usr/local/srs',
    description: "on_dvr: SRS's working directory",
  })
  cwd?: string;
}

export class SrsHookReplyDto {
  @ApiProperty({ enum: [0, 403], example: 0, description: '0 = allow; 403 = refused' })
  code!: number;
}

export class MediaMtxAuthBodyDto {
  @ApiProperty({
    enum: ['publish', 'read', 'playback', 'api', 'metrics', 'pprof'],
    example: 'publish',
    description: 'Only publish and read can be allowed',
  })
  action!: string;
  @ApiProperty({ example: '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b', description: 'Path = stream id' })
  path!: string;
  @ApiProperty({
    example: 'key=q3v9Jd0T0m2lB6yZ8xWcN1rK4pH7sF5eA0uGiOoLkMn',
    description: 'Client query: key= for publish, exp=&sig= for read',
  })
  query!: string;
  @ApiProperty({ example: '127.0.0.1' })
  ip!: string;
  @ApiProperty({ enum: ['rtsp', 'rtmp', 'hls', 'webrtc', 'srt'], example: 'rtmp' })
  protocol!: string;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: '9a3c1d2e-7b4f-4c5d-8e6f-1a2b3c4d5e6f',
    description: 'Session id',
  })
  id?: string | null;
  @ApiPropertyOptional({ example: '' })
  user?: string;
  @ApiPropertyOptional({ example: '' })
  password?: string;
  @ApiPropertyOptional({ example: '' })
  token?: string;
}
