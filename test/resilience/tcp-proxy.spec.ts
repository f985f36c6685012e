import * as net from 'node:net';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';

/** The fault suites are only as good as their proxy: prove each failure mode against an echo server. */
describe('TCP fault proxy', () => {
  let echo: net.Server;
  let echoPort: number;
  let proxy: TcpProxy;

  beforeAll(async () => {
    echo = net.createServer((s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  beforeEach(async () => {
    proxy = await startTcpProxy('127.0.0.1', echoPort);
  });
  afterEach(async () => proxy.close());
  afterAll(async () => new Promise<void>((r) => echo.close(() => r())));

  function connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect(proxy.port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  }
  /** Next data chunk, or the error/close that came instead, or 'silence' after `ms`. */
  function next(s: net.Socket, ms = 400): Promise<string> {
    return new Promise((resolve) => {
      const t = setTimeout(() => done('silence'), ms);
      const onData = (d: Buffer) => done(`data:${d.toString()}`);
      const onErr = (e: NodeJS.ErrnoException) => done(`error:${e.code}`);
      const onClose = () => done('closed');
      function done(v: string) {
        clearTimeout(t);
        s.off('data', onData).off('error', onErr).off('close', onClose);
        resolve(v);
      }
      s.on('data', onData).on('error', onErr).on('close', onClose);
    });
  }

  it('forwards bytes both ways while healthy', async () => {
    const s = await connect();
    s.write('hello');
    expect(await next(s)).toBe('data:hello');
    expect(proxy.connectionCount()).toBe(1);
    s.destroy();
  });

  it('cut(): resets open connections and every new one, until restore()', async () => {
    const s = await connect();
    s.write('a');
    expect(await next(s)).toBe('data:a');
    const outcome = next(s);
    proxy.cut();
    expect(await outcome).toBe('error:ECONNRESET');

    const s2 = net.connect(proxy.port, '127.0.0.1');
    expect(await next(s2)).toMatch(/^error:ECONNRESET$|^closed$/);

    proxy.restore();
    const s3 = await connect();
    s3.write('back');
    expect(await next(s3)).toBe('data:back');
    s3.destroy();
  });

  it('cut("blackhole"): accepts and holds bytes without a word, delivers them after restore()', async () => {
    const s = await connect();
    proxy.cut('blackhole');
    s.write('held');
    expect(await next(s, 300)).toBe('silence');
    const fresh = await connect();
    fresh.write('also-held');
    expect(await next(fresh, 300)).toBe('silence');
    proxy.restore();
    expect(await next(s)).toBe('data:held');
    expect(await next(fresh)).toBe('data:also-held');
    s.destroy();
    fresh.destroy();
  });

  it('delay(ms): every chunk arrives late, in order', async () => {
    const s = await connect();
    proxy.delay(200);
    const started = Date.now();
    let got = '';
    const all = new Promise<void>((resolve) =>
      s.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.length >= 3) resolve();
      }),
    );
    s.write('1');
    setTimeout(() => s.write('2'), 20);
    setTimeout(() => s.write('3'), 40);
    await all;
    // 200 ms on the way there and 200 ms on the way back.
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(got).toBe('123');
    s.destroy();
  });
});
