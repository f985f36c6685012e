import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: { id: string; type: string; createdAt: string; data: Record<string, any> };
}

/** What the receiver answers for the n-th request (0-based) it gets; 'hang' = nothing. */
export type Responder = (
  req: ReceivedWebhook,
  n: number,
) => number | 'hang' | { status: number; headers?: Record<string, string> };

/** A real HTTP server on 127.0.0.1 that records every webhook request it is sent. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private server?: Server;
  port = 0;

  constructor(public respond: Responder = () => 200) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Starts listening (on `port` when given, e.g. to come back on the same address). */
  async start(port = this.port): Promise<this> {
    const server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        let body: ReceivedWebhook['body'];
        try {
          body = JSON.parse(raw) as ReceivedWebhook['body'];
        } catch {
          body = { id: '', type: '', createdAt: '', data: {} };
        }
        const r: ReceivedWebhook = { path: req.url ?? '', headers: req.headers, raw, body };
        const n = this.received.length;
        this.received.push(r);
        const answer = this.respond(r, n);
        // 'hang': never answer (the sender's time-out, or its death, ends the request).
        if (answer === 'hang') return;
        const { status, headers } =
          typeof answer === 'number' ? { status: answer, headers: {} } : answer;
        res.writeHead(status, headers ?? {});
        res.end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  of(type: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.body.type === type);
  }
}

/** Verifies OnAir-Signature the way the docs tell receivers to (docs/webhooks.md). */
export function verifySignature(secret: string, raw: string, header: string | undefined): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2], 'hex'));
}
