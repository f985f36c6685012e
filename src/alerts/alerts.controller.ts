import {
  Controller,
  createParamDecorator,
  ExecutionContext,
  HttpCode,
  Post,
  Query,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator';
import { ValidationFailedError } from '../common/errors';
import { validationMessages } from '../common/validation-messages';
import type { AlertChannel } from '../metrics/metrics.service';
import { AlertTokenGuard } from './alert-token.guard';
import {
  AlertmanagerWebhookDto,
  RelayAcceptedDto,
  RelayQueryDto,
} from './alertmanager-webhook.dto';
import { AlertsService } from './alerts.service';

/**
 * The webhook body is read through its own decorator and pipe, not the global one, for one
 * reason: Alertmanager is third-party software that has added fields to payload version 4
 * before (truncatedAlerts, fingerprint) and may again. Rejecting unknown fields here would turn
 * an Alertmanager upgrade into a 400 for every notification, and Alertmanager never retries a
 * 4xx: every robot alert would be lost. Unknown fields are therefore stripped (whitelist), never
 * stored or forwarded, while every known field keeps its strict rules and bounds, and a
 * different payload version is still refused. Every other route keeps rejecting unknown fields.
 */
const AlertmanagerBody = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<FastifyRequest>().body,
);

const webhookBodyPipe = new ValidationPipe({
  expectedType: AlertmanagerWebhookDto,
  validateCustomDecorators: true,
  whitelist: true,
  forbidNonWhitelisted: false,
  forbidUnknownValues: true,
  transform: true,
  validationError: { target: false, value: false },
  exceptionFactory: (errors) =>
    // Alertmanager's nested alerts: messages name the full path ("alerts.3.startsAt must be …").
    new ValidationFailedError(validationMessages(errors, { qualifyNested: true })),
});

const EXAMPLE: AlertmanagerWebhookDto = {
  version: '4',
  groupKey: '{}/{severity="critical"}:{alertname="HighErrorRate", instance="onair-1:3000"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'critical',
  groupLabels: { alertname: 'HighErrorRate', instance: 'onair-1:3000' },
  commonLabels: {
    alertname: 'HighErrorRate',
    instance: 'onair-1:3000',
    job: 'onair',
    severity: 'critical',
  },
  commonAnnotations: {
    runbook_url: 'https://github.com/onair/onair/blob/main/docs/operate.md#runbook-higherrorrate',
  },
  externalURL: 'http://alertmanager:9093',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'HighErrorRate',
        instance: 'onair-1:3000',
        job: 'onair',
        route: '/api/v1/streams/:id',
        severity: 'critical',
      },
      annotations: {
        summary: 'High 5xx error ratio on /api/v1/streams/:id (onair-1:3000)',
        description:
          '7.5% of the requests to /api/v1/streams/:id on onair-1:3000 failed with a 5xx status over the last 5 minutes (threshold 5%).',
        runbook_url:
          'https://github.com/onair/onair/blob/main/docs/operate.md#runbook-higherrorrate',
      },
      startsAt: '2025-05-01T12:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=...',
      fingerprint: '4b6ee4c2f6e4b1f0',
    },
  ],
};

@ApiTags('alerts')
@Controller('alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Post('alertmanager')
  @HttpCode(200)
  // Alertmanager is authenticated by its token and batches alerts itself; a 429 would lose
  // alerts (it does not retry 4xx). Wrong tokens are limited by AlertTokenGuard instead.
  @SkipThrottle()
  @UseGuards(AlertTokenGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Alertmanager webhook: relay a notification to the DingTalk / WeCom / Slack robots',
    description:
      "Takes Alertmanager's webhook JSON (payload version 4) and answers at once; the message is forwarded in the background " +
      '(5 s timeout, 3 attempts with exponential backoff) to the robots configured with DINGTALK_WEBHOOK_URL (+ DINGTALK_SECRET for signed robots), ' +
      'WECOM_WEBHOOK_URL and SLACK_WEBHOOK_URL; results are counted in alert_notifications_total{channel,result}. ' +
      'The bearer token is ALERT_WEBHOOK_TOKEN (not a JWT); without it configured the route answers 404. ' +
      'Unknown fields are ignored here (and only here) so that newer Alertmanager versions keep working; version must be "4". ' +
      'Answers 503 while the replica is shutting down, so that Alertmanager retries (through the proxy, on another replica).',
  })
  @ApiBody({
    type: AlertmanagerWebhookDto,
    examples: { firing: { summary: 'One firing alert', value: EXAMPLE } },
  })
  @ApiOkResponse({
    type: RelayAcceptedDto,
    description: 'Accepted; delivery to the robots is asynchronous',
  })
  @ApiErrors(400, 401, 404, 503)
  relay(
    @AlertmanagerBody(webhookBodyPipe) body: AlertmanagerWebhookDto,
    @Query() query: RelayQueryDto,
  ): RelayAcceptedDto {
    const channels = query.channels ? (query.channels.split(',') as AlertChannel[]) : undefined;
    return { accepted: this.alerts.accept(body, channels) };
  }
}
