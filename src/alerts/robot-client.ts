import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AlertChannel } from '../metrics/metrics.service';
import type { RobotPayload } from './alert-message';

export const ALERT_RELAY_OPTIONS = Symbol('ALERT_RELAY_OPTIONS');

export interface AlertRelayOptions {
  /** Per attempt: a robot that does not answer within this is a failed attempt. */
  timeoutMs: number;
  /** Attempts per message, including the first. */
  attempts: number;
  /** Wait before the 2nd attempt; doubles for every further one (with ±20 % jitter). */
  backoffMs: number;
  /** Per channel: messages waiting to be sent; beyond this new ones are dropped (and counted as failed). */
  maxQueued: number;
}

export const DEFAULT_RELAY_OPTIONS: AlertRelayOptions = {
  timeoutMs: 5000,
  attempts: 3,
  backoffMs: 500,
  maxQueued: 100,
};

/** Robot answers are tiny JSON; anything bigger is not read into memory. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Why one delivery failed, safe to log (never contains the webhook URL or its access token). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/**
 * DingTalk's "additional signature" security setting: HMAC-SHA256 of "<timestamp>\n<secret>"
 * keyed with the secret, base64, URL-encoded, sent as &timestamp=&sign= next to access_token.
 */
export function dingTalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

export function signedDingTalkUrl(
  url: string,
  secret: string,
  timestampMs: number = Date.now(),
): string {
  const u = new URL(url);
  // URLSearchParams encodes "+", "/" and "=" of the base64 signature as %2B, %2F, %3D.
  u.searchParams.set('timestamp', String(timestampMs));
  u.searchParams.set('sign', dingTalkSign(secret, timestampMs));
  return u.toString();
}

/** DingTalk/WeCom answer HTTP 200 with {errcode, errmsg}; only errcode 0 is a delivery. */
const ERRCODE_CHANNELS: ReadonlySet<AlertChannel> = new Set(['dingtalk', 'wecom']);
/** errcodes that mean "busy, try again": -1 (system busy), 45009 (WeCom frequency limit), 130101 (DingTalk: too fast). */
const RETRYABLE_ERRCODES = new Set([-1, 45009, 130101]);

async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_ANSWER_BYTES) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  // Duck-typed: errors from fetch may come from another realm (e.g. under a test runner's VM).
  const e =
    typeof err === 'object' && err !== null
      ? (err as { name?: unknown; cause?: { code?: unknown } })
      : {};
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return `no answer within ${timeoutMs} ms`;
  const code = typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  return `network error${code ? ` (${code})` : ''}`;
}

/** Sends one message to one robot webhook: per-attempt timeout, retries with exponential backoff. */
@Injectable()
export class RobotClient {
  constructor(@Inject(ALERT_RELAY_OPTIONS) private readonly options: AlertRelayOptions) {}

  /**
   * Resolves when the robot accepted the message; rejects with DeliveryError after the last
   * failed attempt (or at once for a permanent failure such as a bad signature or token).
   * `stop` aborts waiting and the request in flight (shutdown).
   */
  async send(
    channel: AlertChannel,
    url: string,
    payload: RobotPayload,
    secret: string | undefined,
    stop: AbortSignal,
  ): Promise<{ attempts: number }> {
    const body = JSON.stringify(payload);
    let last: DeliveryError = new DeliveryError('not attempted', false);
    for (let attempt = 1; attempt <= this.options.attempts; attempt++) {
      if (stop.aborted) throw new DeliveryError('relay is shutting down', false);
      try {
        // The signature is only valid for an hour around its timestamp: sign every attempt anew.
        const target = channel === 'dingtalk' && secret ? signedDingTalkUrl(url, secret) : url;
        await this.attempt(channel, target, body, stop);
        return { attempts: attempt };
      } catch (err) {
        last =
          err instanceof DeliveryError
            ? err
            : new DeliveryError(describeNetworkError(err, this.options.timeoutMs), true);
        if (!last.retryable || attempt === this.options.attempts) break;
        await this.backoff(attempt, stop);
      }
    }
    throw last;
  }

  private async attempt(
    channel: AlertChannel,
    url: string,
    body: string,
    stop: AbortSignal,
  ): Promise<void> {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        accept: 'application/json, text/plain, */*',
      },
      body,
      signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), stop]),
    });
    const text = await readBounded(res);
    if (!res.ok) {
      // 5xx and 429 are the robot's (or a proxy's) trouble; other 4xx are our request or URL being wrong.
      throw new DeliveryError(
        `HTTP ${res.status}`,
        res.status >= 500 || res.status === 429 || res.status === 408,
      );
    }
    if (!ERRCODE_CHANNELS.has(channel)) return;
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new DeliveryError(
        `HTTP ${res.status} without a JSON errcode answer (is the URL a robot webhook?)`,
        false,
      );
    }
    const errcode =
      typeof answer === 'object' && answer !== null
        ? (answer as { errcode?: unknown }).errcode
        : undefined;
    if (errcode === 0) return;
    const errmsg =
      typeof answer === 'object' && answer !== null
        ? (answer as { errmsg?: unknown }).errmsg
        : undefined;
    const code = typeof errcode === 'number' ? errcode : NaN;
    throw new DeliveryError(
      `errcode ${String(errcode)}${typeof errmsg === 'string' ? `: ${errmsg.slice(0, 200)}` : ''}`,
      RETRYABLE_ERRCODES.has(code),
    );
  }

  private backoff(attempt: number, stop: AbortSignal): Promise<void> {
    const base = this.options.backoffMs * 2 ** (attempt - 1);
    const ms = Math.round(base * (0.8 + Math.random() * 0.4));
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stop.removeEventListener('abort', done);
        resolve();
      }
      stop.addEventListener('abort', done, { once: true });
    });
  }
}
