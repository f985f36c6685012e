import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsString,
  MaxLength,
} from 'class-validator';
import type { ProductEventType } from '../common/ports';
import { WEBHOOK_EVENTS } from '../metrics/metrics.service';

export const PRODUCT_EVENTS: readonly ProductEventType[] = WEBHOOK_EVENTS;

export class CreateWebhookDto {
  @ApiProperty({
    description:
      'Where events are POSTed: http(s) only, at most 2048 characters, no credentials; it must not resolve to a loopback, private, link-local or metadata address (unless the server sets WEBHOOK_ALLOW_PRIVATE=true)',
    maxLength: 2048,
    example: 'https://hooks.example.com/onair',
  })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({
    description: 'Event types to receive (non-empty, no repeats)',
    enum: PRODUCT_EVENTS,
    isArray: true,
    example: ['stream.started', 'stream.ended'],
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(PRODUCT_EVENTS.length)
  @ArrayUnique()
  @IsIn(PRODUCT_EVENTS, { each: true })
  events!: ProductEventType[];
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid', example: '3f9c1a52-6a0e-4b8e-9a55-0d8f7c1e2b44' })
  id!: string;
  @ApiProperty({ example: 'https://hooks.example.com/onair' })
  url!: string;
  @ApiProperty({ enum: PRODUCT_EVENTS, isArray: true, example: ['stream.started'] })
  events!: ProductEventType[];
  @ApiProperty({
    format: 'uuid',
    description:
      'The owner: their streams are what the subscription hears about (all streams for an admin)',
    example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11',
  })
  ownerId!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-21T12:00:00.000Z' })
  createdAt!: string;
}

export class WebhookWithSecretDto extends WebhookDto {
  @ApiProperty({
    description:
      'Signing secret for OnAir-Signature (HMAC-SHA256). Shown only in this response: keep it.',
    example: 'whsec_J1xk2b0cQ3lH8bWq2Yp9d3m3vE6sQdVdP0l7mK4r8nA',
  })
  secret!: string;
}

export class WebhookPageDto {
  @ApiProperty({ type: [WebhookDto] })
  items!: WebhookDto[];
  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

export class WebhookDeliveryDto {
  @ApiProperty({
    format: 'uuid',
    description: 'This attempt',
    example: '9b2e0c1d-8f3a-4c6b-a1d2-7e5f4a3b2c10',
  })
  id!: string;
  @ApiProperty({
    format: 'uuid',
    description:
      'The event (sent as OnAir-Delivery and as the payload id; the same for every attempt)',
    example: 'c1a7e3f0-2b4d-4e8a-9c6f-1d2e3f4a5b6c',
  })
  eventId!: string;
  @ApiProperty({ enum: PRODUCT_EVENTS, example: 'stream.started' })
  event!: ProductEventType;
  @ApiProperty({ description: 'Attempt number, from 1', example: 1 })
  attempt!: number;
  @ApiProperty({
    enum: ['delivered', 'failed', 'gave_up'],
    description: 'failed = will be retried; gave_up = the last allowed attempt failed',
    example: 'delivered',
  })
  status!: 'delivered' | 'failed' | 'gave_up';
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'HTTP status the receiver answered',
    example: 200,
  })
  responseStatus!: number | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  error!: string | null;
  @ApiProperty({
    format: 'date-time',
    description: 'When the attempt started',
    example: '2026-11-21T12:00:00.000Z',
  })
  createdAt!: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-21T12:00:00.120Z',
  })
  deliveredAt!: string | null;
}

export class WebhookDeliveryPageDto {
  @ApiProperty({ type: [WebhookDeliveryDto] })
  items!: WebhookDeliveryDto[];
  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}
