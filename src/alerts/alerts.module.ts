import { Module } from '@nestjs/common';
import { AlertRelayService } from './alert-relay.service';
import { AlertTokenGuard } from './alert-token.guard';
import { AlertsController } from './alerts.controller';
import { AlertsService } from './alerts.service';
import { ALERT_RELAY_OPTIONS, DEFAULT_RELAY_OPTIONS, RobotClient } from './robot-client';

/**
 * Alert relay: POST /api/v1/alerts/alertmanager (Alertmanager webhook, payload version 4) →
 * DingTalk / WeCom / Slack-compatible robots configured by DINGTALK_WEBHOOK_URL (+ DINGTALK_SECRET),
 * WECOM_WEBHOOK_URL and SLACK_WEBHOOK_URL. Disabled (404) while ALERT_WEBHOOK_TOKEN is unset.
 */
@Module({
  controllers: [AlertsController],
  providers: [
    { provide: ALERT_RELAY_OPTIONS, useValue: DEFAULT_RELAY_OPTIONS },
    RobotClient,
    AlertRelayService,
    AlertsService,
    AlertTokenGuard,
  ],
})
export class AlertsModule {}
