import { Injectable } from '@nestjs/common';
import { ServiceUnavailableError } from '../common/errors';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import type { AlertChannel } from '../metrics/metrics.service';
import type { AlertNotification } from './alert-message';
import { AlertRelayService } from './alert-relay.service';

/** Rules of the alert relay route; delivery itself is AlertRelayService's. */
@Injectable()
export class AlertsService {
  constructor(
    private readonly relay: AlertRelayService,
    private readonly lifecycle: LifecycleService,
  ) {}

  /**
   * Queues the notification for the robots and returns how many alerts it carried.
   * A draining replica refuses with 503: Alertmanager retries 5xx, and through the proxy the
   * retry reaches a replica that will still be running when the message goes out.
   */
  accept(n: AlertNotification, channels?: readonly AlertChannel[]): number {
    if (this.lifecycle.shuttingDown)
      throw new ServiceUnavailableError('This replica is shutting down; retry the notification');
    this.relay.relay(n, channels);
    return n.alerts.length;
  }
}
