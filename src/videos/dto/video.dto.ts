import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance, Transform } from 'class-transformer';
import {
  Allow,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  validateSync,
} from 'class-validator';
import { ValidationFailedError } from '../../common/errors';
import { validationMessages } from '../../common/validation-messages';
import { PageQueryDto } from '../../common/pagination';
import type { VideoEntity, VideoSource } from '../video.entity';

export class VideoDto {
  @ApiProperty({ format: 'uuid', example: '0b3c1d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e' })
  id!: string;
  @ApiProperty({ example: 'Keynote 2026', minLength: 1, maxLength: 200 })
  title!: string;
  @ApiProperty({ description: 'Size in bytes', example: 734003200 })
  size!: number;
  @ApiProperty({ example: 'video/mp4' })
  contentType!: string;
  @ApiProperty({ format: 'uuid', example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11' })
  ownerId!: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 3725.48,
    description: 'Length in seconds as ffprobe reads it; null when unknown',
  })
  durationSec!: number | null;
  @ApiProperty({
    enum: ['upload', 'recording'],
    example: 'upload',
    description: 'upload = POST /videos; recording = a recorded live stream',
  })
  source!: VideoSource;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: null,
    description: 'The stream a recording was made of; null for uploads',
  })
  streamId!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-21T12:00:00.000Z' })
  createdAt!: string;

  static from(v: VideoEntity): VideoDto {
    return {
      id: v.id,
      title: v.title,
      size: v.size,
      contentType: v.contentType,
      ownerId: v.ownerId,
      durationSec: v.durationSec,
      source: v.source,
      streamId: v.streamId,
      createdAt: v.createdAt.toISOString(),
    };
  }
}

export class VideoPageDto {
  @ApiProperty({ type: [VideoDto] })
  items!: VideoDto[];
  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

export class ListVideosQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: "Only this user's videos",
    example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11',
  })
  @IsOptional()
  @IsUUID()
  ownerId?: string;
}

/** The text fields of an upload (validated once the multipart body has been read). */
export class VideoFieldsDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 200,
    example: 'Keynote 2026',
    description: 'Trimmed; may be sent before or after the file part',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 200)
  // eslint-disable-next-line no-control-regex
  @Matches(/^[^\u0000-\u001f\u007f]*$/, { message: 'title must not contain control characters' })
  title!: string;
}

/** Swagger shape of the multipart body (the file is streamed, never bound to a DTO). */
export class UploadVideoDto extends VideoFieldsDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'The video, exactly one part named "file" with its Content-Type set: video/mp4, video/quicktime, video/x-m4v, video/3gpp, video/3gpp2, video/webm, video/x-matroska or video/mp2t. The first bytes must match that container.',
  })
  @Allow()
  file!: unknown;
}

/** Validates the collected text fields like the global ValidationPipe would (same messages). */
export function validateVideoFields(raw: Record<string, string>): VideoFieldsDto {
  const dto = plainToInstance(VideoFieldsDto, raw);
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    throw new ValidationFailedError(validationMessages(errors));
  }
  return dto;
}
