import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { VettedTarget } from './webhook-address.policy';

/** A response must have started within this time for the attempt to count (CONTRACT: 5 s). */
export const WEBHOOK_TIMEOUT_MS = 5000;

export interface SendResult {
  ok: boolean;
  responseStatus: number | null;
  error: string | null;
}

/**
 * One POST to a vetted target. The socket connects to the address that was checked (the
 * `lookup` below answers with it, so a second DNS answer cannot redirect the request), TLS still
 * verifies the certificate for the URL's host name, and redirects are never followed.
 */
export function sendWebhook(
  target: VettedTarget,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<SendResult> {
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    else callback(null, target.address, target.family);
  };
  const { url } = target;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        lookup: pinned,
        agent: false,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'OnAir-Webhooks/1',
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        // Only the status matters; drop the body instead of buffering what a receiver sends.
        res.destroy();
        if (status >= 200 && status < 300)
          finish({ ok: true, responseStatus: status, error: null });
        else if (status >= 300 && status < 400)
          finish({
            ok: false,
            responseStatus: status,
            error: `redirect not followed (HTTP ${status})`,
          });
        else finish({ ok: false, responseStatus: status, error: `HTTP ${status}` });
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, responseStatus: null, error: `no response within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, responseStatus: null, error: describe(err) }),
    );
    req.end(body);
  });
}

function describe(err: NodeJS.ErrnoException): string {
  const text = err.code ? `${err.code}: ${err.message}` : err.message;
  return text.length > 300 ? text.slice(0, 300) : text;
}
