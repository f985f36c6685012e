/**
 * A stand-in for a media server's HTTP API (SRS, MediaMTX) on 127.0.0.1: records every request
 * and answers what the test scripted. There is no real SRS or MediaMTX on the test machine.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
}

/** Status and body for a request; 'hang' never answers (the caller's time-out must end it). */
export type Reply = { status: number; body?: string } | 'hang';

export interface RecordingServer {
  url: string;
  calls: RecordedCall[];
  /** Replaces the answer function (default: 200 `{"code":0}`). */
  reply(fn: (call: RecordedCall) => Reply): void;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const calls: RecordedCall[] = [];
  let answer: (call: RecordedCall) => Reply = () => ({ status: 200, body: '{"code":0}' });
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const call = { method: req.method ?? '', path: req.url ?? '' };
    calls.push(call);
    req.resume();
    const r = answer(call);
    if (r === 'hang') {
      hanging.add(res);
      return;
    }
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(r.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    reply(fn) {
      answer = fn;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
