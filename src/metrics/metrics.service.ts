import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Metric, register } from 'prom-client';
import { HttpDurationHistogram, HttpRedSeries, HttpRequestsCounter } from './http-red.metrics';

export type MediaServer = 'nginx-rtmp' | 'srs' | 'mediamtx';
export type RateLimitScope = 'http' | 'ws';
export type AlertChannel = 'dingtalk' | 'wecom' | 'slack';
/** Who called a hook: a media server, or nginx's auth_request for HLS. */
export type HookServer = MediaServer | 'hls';
export type PlaybackProtocol = 'hls' | 'rtmp' | 'flv' | 'other';
export const WEBHOOK_EVENTS = ['stream.started', 'stream.ended', 'recording.ready'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];
/** Why a live publisher was cut off. */
export type CutReason = 'deleted' | 'key_rotated' | 'user_disabled';

/** Socket events we count; anything else is reported as "other" so labels stay bounded. */
export const WS_EVENTS = [
  'room:join',
  'room:leave',
  'chat:send',
  'chat:delete',
  'presence:heartbeat',
  'chat:message',
  'chat:deleted',
  'presence:update',
  'stream:live',
  'stream:offline',
  'room:closed',
  'chat:banned',
  'server:shutdown',
  'other',
] as const;
export type WsEvent = (typeof WS_EVENTS)[number];

/** Socket.IO's disconnect reasons; unknown ones are folded into "other". */
export const DISCONNECT_REASONS = [
  'io server disconnect',
  'io client disconnect',
  'ping timeout',
  'transport close',
  'transport error',
  'parse error',
  'forced close',
  'server shutting down',
  'forced server close',
  'client namespace disconnect',
  'server namespace disconnect',
  'other',
] as const;

const LINT_FAILING_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function getOrCreate<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

/** Lazily-evaluated cluster-wide values (read from the stores at scrape time). */
export type ValueSource = () => Promise<number>;

/**
 * Owns every metric of the contract. Features call intent-named methods; nobody else
 * touches prom-client. All series are declared at start-up so dashboards see zeros.
 */
@Injectable()
export class MetricsService {
  /** The HTTP RED series (shared by both metrics below; see http-red.metrics.ts). */
  private readonly http = getOrCreate('http_requests_total', () => {
    const red = new HttpRedSeries([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    const counter = new HttpRequestsCounter('http_requests_total', 'HTTP requests handled', red);
    register.registerMetric(counter as unknown as Metric);
    register.registerMetric(
      new HttpDurationHistogram(
        'http_request_duration_seconds',
        'HTTP request duration in seconds',
        red,
      ) as unknown as Metric,
    );
    return counter;
  }).red;
  readonly httpInFlight = getOrCreate('http_requests_in_flight', () => {
    const red = this.http;
    return new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests being handled',
      collect() {
        this.set(red.inFlight);
      },
    });
  });

  readonly wsConnections = getOrCreate(
    'websocket_connections',
    () =>
      new Gauge({
        name: 'websocket_connections',
        help: 'Open WebSocket (Socket.IO) connections',
        labelNames: ['namespace'],
      }),
  );
  readonly wsOpened = getOrCreate(
    'websocket_connections_opened_total',
    () =>
      new Counter({
        name: 'websocket_connections_opened_total',
        help: 'Socket.IO connections accepted',
        labelNames: ['namespace'],
      }),
  );
  readonly wsDisconnects = getOrCreate(
    'websocket_disconnects_total',
    () =>
      new Counter({
        name: 'websocket_disconnects_total',
        help: 'Socket.IO disconnects by reason',
        labelNames: ['namespace', 'reason'],
      }),
  );
  readonly wsConnDuration = getOrCreate(
    'websocket_connection_duration_seconds',
    () =>
      new Histogram({
        name: 'websocket_connection_duration_seconds',
        help: 'How long Socket.IO connections lasted',
        labelNames: ['namespace'],
        buckets: [1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 43200],
      }),
  );
  readonly wsReceived = getOrCreate(
    'websocket_messages_received_total',
    () =>
      new Counter({
        name: 'websocket_messages_received_total',
        help: 'Socket.IO events received',
        labelNames: ['event'],
      }),
  );
  readonly wsSent = getOrCreate(
    'websocket_messages_sent_total',
    () =>
      new Counter({
        name: 'websocket_messages_sent_total',
        help: 'Socket.IO events emitted (per emit call, not per recipient)',
        labelNames: ['event'],
      }),
  );
  readonly wsDuration = getOrCreate(
    'websocket_message_duration_seconds',
    () =>
      new Histogram({
        name: 'websocket_message_duration_seconds',
        help: 'Time to handle an inbound Socket.IO event',
        labelNames: ['event'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      }),
  );
  readonly wsErrors = getOrCreate(
    'websocket_errors_total',
    () =>
      new Counter({
        name: 'websocket_errors_total',
        help: 'Socket.IO errors by type',
        labelNames: ['type'],
      }),
  );

  readonly liveStreams = getOrCreate(
    'live_streams',
    () => new Gauge({ name: 'live_streams', help: 'Streams currently live (cluster-wide)' }),
  );
  readonly publishAttempts = getOrCreate(
    'stream_publish_attempts_total',
    () =>
      new Counter({
        name: 'stream_publish_attempts_total',
        help: 'Publish authorizations by result and media server',
        labelNames: ['result', 'server'],
      }),
  );
  readonly streamViewers = getOrCreate(
    'stream_viewers',
    () =>
      new Gauge({ name: 'stream_viewers', help: 'Viewers over all live streams (cluster-wide)' }),
  );
  readonly onlineViewers = getOrCreate(
    'online_viewers',
    () =>
      new Gauge({ name: 'online_viewers', help: 'Viewers online over all rooms (cluster-wide)' }),
  );
  readonly chatMessages = getOrCreate(
    'chat_messages_total',
    () =>
      new Counter({
        name: 'chat_messages_total',
        help: 'Chat messages by result',
        labelNames: ['result'],
      }),
  );
  readonly rateLimitedTotal = getOrCreate(
    'rate_limited_total',
    () =>
      new Counter({
        name: 'rate_limited_total',
        help: 'Requests or events refused by a rate limit',
        labelNames: ['scope'],
      }),
  );
  readonly rateLimitStoreErrors = getOrCreate(
    'rate_limit_store_errors_total',
    () =>
      new Counter({
        name: 'rate_limit_store_errors_total',
        help: 'Rate-limit checks that could not reach their store',
        labelNames: ['scope', 'policy'],
      }),
  );
  readonly videoBytes = getOrCreate(
    'video_bytes_served_total',
    () => new Counter({ name: 'video_bytes_served_total', help: 'Video bytes written to clients' }),
  );
  readonly alertNotifications = getOrCreate(
    'alert_notifications_total',
    () =>
      new Counter({
        name: 'alert_notifications_total',
        help: 'Alert notifications forwarded to robots',
        labelNames: ['channel', 'result'],
      }),
  );

  readonly playbackSessionsStarted = getOrCreate(
    'playback_sessions_started_total',
    () =>
      new Counter({
        name: 'playback_sessions_started_total',
        help: 'Playback sessions that started being counted, by protocol',
        labelNames: ['protocol'],
      }),
  );
  readonly playbackChecks = getOrCreate(
    'playback_checks_total',
    () =>
      new Counter({
        name: 'playback_checks_total',
        help: 'HLS playback checks (nginx auth_request) by result',
        labelNames: ['result'],
      }),
  );
  readonly hookDuration = getOrCreate(
    'hook_duration_seconds',
    () =>
      new Histogram({
        name: 'hook_duration_seconds',
        help: 'Time to answer a media-server hook or HLS check, by caller and action',
        labelNames: ['server', 'action'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      }),
  );
  readonly webhookDeliveries = getOrCreate(
    'webhook_deliveries_total',
    () =>
      new Counter({
        name: 'webhook_deliveries_total',
        help: 'Webhook delivery attempts by product event and result',
        labelNames: ['event', 'result'],
      }),
  );
  readonly streamsSwept = getOrCreate(
    'streams_swept_total',
    () =>
      new Counter({
        name: 'streams_swept_total',
        help: 'Live streams ended because the media server stopped confirming them',
      }),
  );
  readonly publishersCut = getOrCreate(
    'publishers_cut_total',
    () =>
      new Counter({
        name: 'publishers_cut_total',
        help: 'Live publishers cut off (nginx-rtmp: refused at the next update; SRS/MediaMTX: kicked through their API)',
        labelNames: ['reason'],
      }),
  );
  readonly publisherCutFailures = getOrCreate(
    'publisher_cut_failures_total',
    () =>
      new Counter({
        name: 'publisher_cut_failures_total',
        help: 'Kicks of a live publisher that the media server API did not confirm',
        labelNames: ['server'],
      }),
  );
  readonly recordings = getOrCreate(
    'recordings_total',
    () =>
      new Counter({
        name: 'recordings_total',
        help: 'Recordings reported by the media server, by outcome (imported as a video, or refused/failed)',
        labelNames: ['result'],
      }),
  );

  private sources: {
    liveStreams?: ValueSource;
    streamViewers?: ValueSource;
    onlineViewers?: ValueSource;
  } = {};

  constructor() {
    if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
    // prom-client exports these three as gauges named *_total, which `promtool check metrics`
    // flags (only counters may end in _total). The same numbers stay available, per type, as
    // nodejs_active_handles / nodejs_active_requests / nodejs_active_resources.
    for (const name of LINT_FAILING_DEFAULT_METRICS) register.removeSingleMetric(name);
    this.wsConnections.labels('/chat').set(0);
    this.wsOpened.labels('/chat').inc(0);
    for (const result of ['accepted', 'rejected'] as const) {
      for (const server of ['nginx-rtmp', 'srs', 'mediamtx'] as const)
        this.publishAttempts.labels(result, server).inc(0);
    }
    this.chatMessages.labels('delivered').inc(0);
    this.chatMessages.labels('rejected').inc(0);
    this.rateLimitedTotal.labels('http').inc(0);
    this.rateLimitedTotal.labels('ws').inc(0);
    for (const channel of ['dingtalk', 'wecom', 'slack'] as const) {
      this.alertNotifications.labels(channel, 'sent').inc(0);
      this.alertNotifications.labels(channel, 'failed').inc(0);
    }
    this.videoBytes.inc(0);
    for (const protocol of ['hls', 'rtmp', 'flv', 'other'] as const)
      this.playbackSessionsStarted.labels(protocol).inc(0);
    this.playbackChecks.labels('allowed').inc(0);
    this.playbackChecks.labels('denied').inc(0);
    for (const event of WEBHOOK_EVENTS) {
      for (const result of ['delivered', 'failed', 'gave_up'] as const)
        this.webhookDeliveries.labels(event, result).inc(0);
    }
    this.streamsSwept.inc(0);
    for (const reason of ['deleted', 'key_rotated', 'user_disabled'] as const)
      this.publishersCut.labels(reason).inc(0);
    for (const server of ['srs', 'mediamtx'] as const)
      this.publisherCutFailures.labels(server).inc(0);
    this.recordings.labels('imported').inc(0);
    this.recordings.labels('failed').inc(0);
    this.wsErrors.labels('other').inc(0);
    this.installCollector(this.liveStreams, () => this.sources.liveStreams);
    this.installCollector(this.streamViewers, () => this.sources.streamViewers);
    this.installCollector(this.onlineViewers, () => this.sources.onlineViewers);
  }

  private installCollector(g: Gauge, source: () => ValueSource | undefined): void {
    // Gauges of cluster-wide state are read from the stores when scraped, so every replica
    // reports the same value (dashboards use max(), not sum()).
    (g as unknown as { collect?: () => Promise<void> }).collect = async function (this: Gauge) {
      const s = source();
      if (!s) return;
      try {
        this.set(await s());
      } catch {
        // Keep the last value when a store is down; /health/ready reports the outage.
      }
    };
  }

  setSource(name: 'liveStreams' | 'streamViewers' | 'onlineViewers', source: ValueSource): void {
    this.sources[name] = source;
  }

  async readGauge(g: Gauge): Promise<number> {
    const v = await g.get();
    return v.values.reduce((sum, s) => sum + s.value, 0);
  }

  // HTTP
  httpStarted(): void {
    this.http.inFlight += 1;
  }
  httpFinished(method: string, route: string, statusCode: number, seconds: number): void {
    this.http.inFlight -= 1;
    const m = HTTP_METHODS.has(method) ? method : 'OTHER';
    this.http.series(m, route, statusCode).observe(seconds);
  }
  rateLimited(scope: RateLimitScope): void {
    this.rateLimitedTotal.labels(scope).inc();
  }
  rateLimitStoreFailed(scope: RateLimitScope, policy: 'fail-open' | 'fail-closed'): void {
    this.rateLimitStoreErrors.labels(scope, policy).inc();
  }

  // Streams
  publishAccepted(server: MediaServer): void {
    this.publishAttempts.labels('accepted', server).inc();
  }
  publishRejected(server: MediaServer): void {
    this.publishAttempts.labels('rejected', server).inc();
  }

  // Playback
  playbackSessionStarted(protocol: PlaybackProtocol): void {
    this.playbackSessionsStarted.labels(protocol).inc();
  }
  /** Bound once: the HLS check runs for every playlist and segment request. */
  private readonly checksAllowed = this.playbackChecks.labels('allowed');
  private readonly checksDenied = this.playbackChecks.labels('denied');
  playbackChecked(allowed: boolean): void {
    (allowed ? this.checksAllowed : this.checksDenied).inc();
  }
  /** `action` must come from a bounded set (the hook dialect's known calls, else "other"). */
  hookHandled(server: HookServer, action: string, seconds: number): void {
    this.hookDuration.labels(server, action).observe(seconds);
  }
  streamsSweptCount(n: number): void {
    if (n > 0) this.streamsSwept.inc(n);
  }
  publisherCut(reason: CutReason): void {
    this.publishersCut.labels(reason).inc();
  }
  publisherCutFailed(server: 'srs' | 'mediamtx'): void {
    this.publisherCutFailures.labels(server).inc();
  }

  // Sockets
  wsConnected(namespace: string): void {
    this.wsConnections.labels(namespace).inc();
    this.wsOpened.labels(namespace).inc();
  }
  wsDisconnected(namespace: string, reason: string, seconds: number): void {
    this.wsConnections.labels(namespace).dec();
    const r = (DISCONNECT_REASONS as readonly string[]).includes(reason) ? reason : 'other';
    this.wsDisconnects.labels(namespace, r).inc();
    this.wsConnDuration.labels(namespace).observe(seconds);
  }
  wsEventReceived(event: string): WsEvent {
    const e = (WS_EVENTS as readonly string[]).includes(event) ? (event as WsEvent) : 'other';
    this.wsReceived.labels(e).inc();
    return e;
  }
  wsEventHandled(event: WsEvent, seconds: number): void {
    this.wsDuration.labels(event).observe(seconds);
  }
  wsEventSent(event: WsEvent): void {
    this.wsSent.labels(event).inc();
  }
  wsError(
    type:
      'validation' | 'handler' | 'auth' | 'origin' | 'payload_too_large' | 'rate_limited' | 'other',
  ): void {
    this.wsErrors.labels(type).inc();
  }
  chatDelivered(): void {
    this.chatMessages.labels('delivered').inc();
  }
  chatRejected(): void {
    this.chatMessages.labels('rejected').inc();
  }

  // Videos
  videoBytesServed(n: number): void {
    if (n > 0) this.videoBytes.inc(n);
  }

  // Recordings
  recordingImported(): void {
    this.recordings.labels('imported').inc();
  }
  /** Refused at the hook (path, stream, no RECORDINGS_DIR) or failed during the import. */
  recordingFailed(): void {
    this.recordings.labels('failed').inc();
  }

  // Alerts
  alertNotification(channel: AlertChannel, result: 'sent' | 'failed'): void {
    this.alertNotifications.labels(channel, result).inc();
  }

  // Webhooks
  webhookDelivery(event: WebhookEventName, result: 'delivered' | 'failed' | 'gave_up'): void {
    this.webhookDeliveries.labels(event, result).inc();
  }
}
