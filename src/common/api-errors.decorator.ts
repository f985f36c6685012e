import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;
  @ApiProperty({ example: 'Bad Request' })
  error!: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'title must be shorter than or equal to 120 characters',
  })
  message!: string | string[];
  @ApiProperty({ example: 'VALIDATION_FAILED' })
  code!: string;
  @ApiProperty({ example: '9f0c1d7e-3b1a-4c55-a1f1-8f4b2b9f5e21' })
  requestId!: string;
}

const TEXT: Record<number, string> = {
  400: 'Invalid input (VALIDATION_FAILED)',
  401: 'Missing, invalid or expired token (UNAUTHORIZED)',
  403: 'Not allowed (FORBIDDEN)',
  404: 'Not found (NOT_FOUND)',
  409: 'Conflict (CONFLICT)',
  413: 'Payload too large (PAYLOAD_TOO_LARGE)',
  415: 'Unsupported media type (UNSUPPORTED_MEDIA_TYPE)',
  429: 'Rate limited (RATE_LIMITED), see Retry-After',
  503: 'A backing store is unavailable (SERVICE_UNAVAILABLE)',
};

/** Documents the contract's error shape for the given statuses. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ...[...statuses, 429].map((s) =>
      ApiResponse({ status: s, description: TEXT[s] ?? 'Error', type: ErrorResponseDto }),
    ),
  );
}
