/**
 * A small socket.io-client wrapper for the chat e2e specs: connects to /chat the way a browser
 * app would, records every server → client event, and sends events with acknowledgements.
 */
import { io, Socket } from 'socket.io-client';
import { until } from '../helpers/wait';

export interface ChatClientOptions {
  token?: string;
  origin?: string;
  transports?: ('websocket' | 'polling')[];
  auth?: Record<string, unknown>;
}

export class ChatClient {
  /** Every event received, in order. */
  readonly received: { event: string; payload: any }[] = [];
  disconnectReason?: string;

  constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: unknown) => this.received.push({ event, payload }));
    socket.on('disconnect', (reason) => (this.disconnectReason = reason));
  }

  /** Emits with an ack; rejects when no ack arrives in time. */
  ack<T = any>(event: string, payload?: unknown, timeoutMs = 5000): Promise<T> {
    return this.socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
  }

  events(name: string): any[] {
    return this.received.filter((e) => e.event === name).map((e) => e.payload);
  }

  /** Waits for an event matching `match` (received before or after the call). */
  waitFor(
    name: string,
    match: (payload: any) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<any> {
    return until(() => this.events(name).find(match), {
      timeoutMs,
      message: `no ${name} event arrived`,
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.socket.close();
  }
}

/** Connects to <base>/chat; rejects with the connect_error (its message) when refused. */
export function connectChat(base: string, opts: ChatClientOptions = {}): Promise<ChatClient> {
  const socket = io(`${base}/chat`, {
    transports: opts.transports ?? ['websocket'],
    auth: opts.auth ?? (opts.token !== undefined ? { token: opts.token } : {}),
    extraHeaders: opts.origin ? { origin: opts.origin } : undefined,
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  const client = new ChatClient(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}
