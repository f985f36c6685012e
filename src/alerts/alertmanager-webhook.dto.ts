import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  Equals,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsRFC3339,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidateNested,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';
import type { AlertChannel } from '../metrics/metrics.service';
import type { AlertNotification, RelayAlert } from './alert-message';

/** Bounds of one Alertmanager notification (a group), so no request can make the relay allocate without limit. */
export const WEBHOOK_LIMITS = {
  maxAlerts: 1000,
  maxMapEntries: 64,
  maxKeyLength: 128,
  maxLabelValueLength: 1024,
  maxAnnotationValueLength: 8192,
  maxUrlLength: 8192,
} as const;

export const ALERT_CHANNELS: readonly AlertChannel[] = ['dingtalk', 'wecom', 'slack'];

interface StringMapBounds {
  maxEntries: number;
  maxKeyLength: number;
  maxValueLength: number;
}

function stringMapProblem(value: unknown, b: StringMapBounds): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'must be an object of strings';
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > b.maxEntries) return `must have at most ${b.maxEntries} entries`;
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > b.maxKeyLength)
      return `keys must be 1 to ${b.maxKeyLength} characters long`;
    if (typeof v !== 'string') return `values must be strings (${k.slice(0, 40)} is not)`;
    if (v.length > b.maxValueLength)
      return `values must be at most ${b.maxValueLength} characters long (${k.slice(0, 40)} is longer)`;
  }
  return null;
}

/**
 * A flat `{name: "value"}` map with bounded size: Alertmanager's labels and annotations.
 * Plain objects are not whitelisted by class-validator, so every key and value is checked here.
 */
function IsStringMap(bounds: StringMapBounds, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isStringMap',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => stringMapProblem(value, bounds) === null,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'value'} ${stringMapProblem(args?.value, bounds) ?? 'is invalid'}`,
      },
    });
  };
}

const LABELS = {
  maxEntries: WEBHOOK_LIMITS.maxMapEntries,
  maxKeyLength: WEBHOOK_LIMITS.maxKeyLength,
  maxValueLength: WEBHOOK_LIMITS.maxLabelValueLength,
};
const ANNOTATIONS = {
  maxEntries: WEBHOOK_LIMITS.maxMapEntries,
  maxKeyLength: WEBHOOK_LIMITS.maxKeyLength,
  maxValueLength: WEBHOOK_LIMITS.maxAnnotationValueLength,
};

const LABELS_SCHEMA = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: LABELS.maxValueLength },
  maxProperties: LABELS.maxEntries,
} as const;
const ANNOTATIONS_SCHEMA = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: ANNOTATIONS.maxValueLength },
  maxProperties: ANNOTATIONS.maxEntries,
} as const;

export class AlertmanagerAlertDto implements RelayAlert {
  @ApiProperty({ enum: ['firing', 'resolved'], example: 'firing' })
  @IsIn(['firing', 'resolved'])
  status!: 'firing' | 'resolved';

  @ApiProperty({
    ...LABELS_SCHEMA,
    example: {
      alertname: 'HighErrorRate',
      severity: 'critical',
      instance: 'onair-1:3000',
      job: 'onair',
      route: '/api/v1/streams/:id',
    },
  })
  @IsStringMap(LABELS)
  labels!: Record<string, string>;

  @ApiProperty({
    ...ANNOTATIONS_SCHEMA,
    example: {
      summary: 'High 5xx error ratio on /api/v1/streams/:id (onair-1:3000)',
      description:
        '7.5% of the requests to /api/v1/streams/:id on onair-1:3000 failed with a 5xx status over the last 5 minutes (threshold 5%).',
      runbook_url: 'https://github.com/onair/onair/blob/main/docs/operate.md#runbook-higherrorrate',
    },
  })
  @IsStringMap(ANNOTATIONS)
  annotations!: Record<string, string>;

  @ApiProperty({ description: 'RFC 3339 time', example: '2025-05-01T12:00:00.000Z' })
  @IsRFC3339()
  startsAt!: string;

  @ApiProperty({
    description: 'RFC 3339 time; "0001-01-01T00:00:00Z" when unknown',
    example: '0001-01-01T00:00:00Z',
  })
  @IsRFC3339()
  endsAt!: string;

  @ApiProperty({
    description: 'Link to the expression in Prometheus (may be empty)',
    example: 'http://prometheus:9090/graph?g0.expr=...',
  })
  @IsString()
  @MaxLength(WEBHOOK_LIMITS.maxUrlLength)
  generatorURL!: string;

  @ApiPropertyOptional({ example: '4b6ee4c2f6e4b1f0' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  fingerprint?: string;
}

export class AlertmanagerWebhookDto implements AlertNotification {
  @ApiProperty({ description: 'Webhook payload version; only "4" is understood', example: '4' })
  @Equals('4', { message: 'version must be "4" (Alertmanager webhook payload version 4)' })
  version!: string;

  @ApiProperty({
    example: '{}/{severity="critical"}:{alertname="HighErrorRate", instance="onair-1:3000"}',
  })
  @IsString()
  @MaxLength(WEBHOOK_LIMITS.maxUrlLength)
  groupKey!: string;

  @ApiProperty({
    description: 'Alerts Alertmanager left out because of the receiver max_alerts',
    example: 0,
  })
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  truncatedAlerts!: number;

  @ApiProperty({ enum: ['firing', 'resolved'], example: 'firing' })
  @IsIn(['firing', 'resolved'])
  status!: 'firing' | 'resolved';

  @ApiProperty({ example: 'critical' })
  @IsString()
  @MaxLength(256)
  receiver!: string;

  @ApiProperty({
    ...LABELS_SCHEMA,
    example: { alertname: 'HighErrorRate', instance: 'onair-1:3000' },
  })
  @IsStringMap(LABELS)
  groupLabels!: Record<string, string>;

  @ApiProperty({
    ...LABELS_SCHEMA,
    example: {
      alertname: 'HighErrorRate',
      severity: 'critical',
      instance: 'onair-1:3000',
      job: 'onair',
    },
  })
  @IsStringMap(LABELS)
  commonLabels!: Record<string, string>;

  @ApiProperty({
    ...ANNOTATIONS_SCHEMA,
    example: {
      runbook_url: 'https://github.com/onair/onair/blob/main/docs/operate.md#runbook-higherrorrate',
    },
  })
  @IsStringMap(ANNOTATIONS)
  commonAnnotations!: Record<string, string>;

  @ApiProperty({ description: "Alertmanager's own URL", example: 'http://alertmanager:9093' })
  @IsString()
  @MaxLength(WEBHOOK_LIMITS.maxUrlLength)
  externalURL!: string;

  @ApiProperty({ type: [AlertmanagerAlertDto], minItems: 1, maxItems: WEBHOOK_LIMITS.maxAlerts })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_LIMITS.maxAlerts)
  @ValidateNested({ each: true })
  @Type(() => AlertmanagerAlertDto)
  alerts!: AlertmanagerAlertDto[];
}

export class RelayQueryDto {
  @ApiPropertyOptional({
    description:
      'Comma-separated robot channels to forward this notification to (dingtalk, wecom, slack). Default: every configured robot. ' +
      'Set it per Alertmanager receiver (e.g. the warning receiver uses ?channels=wecom). Channels whose URL is not configured are skipped; ' +
      'if none of the listed channels is configured, every configured robot gets the message so that no alert is silently dropped.',
    example: 'wecom',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^(dingtalk|wecom|slack)(,(dingtalk|wecom|slack))*$/, {
    message: 'channels must be a comma-separated list of dingtalk, wecom, slack',
  })
  channels?: string;
}

export class RelayAcceptedDto {
  @ApiProperty({ description: 'Number of alerts in the accepted notification', example: 1 })
  accepted!: number;
}
