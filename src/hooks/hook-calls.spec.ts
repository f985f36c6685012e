import { ValidationFailedError } from '../common/errors';
import { hookActionLabel, parseMediaMtx, parseNginxRtmp, parseSrs } from './hook-calls';

const ID = '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b';
const KEY = 'q3v9Jd0T0m2lB6yZ8xWcN1rK4pH7sF5eA0uGiOoLkMn';
/** Form body → object the way the Fastify adapter's parser shapes it (a repeated key becomes an array). */
function parseForm(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  return out;
}
/** Bodies exactly as nginx-rtmp 1.2.2 posted them. */
const nginx = (s: string) => parseNginxRtmp(parseForm(s));
const PUB =
  'app=live&flashver=FMLE/3.0%20(compatible%3B%20Lavf59.27&swfurl=&tcurl=rtmp://127.0.0.1:41039/live&pageurl=&addr=127.0.0.1&clientid=3';
const PLAYER =
  'app=live&flashver=LNX%209,0,124,2&swfurl=&tcurl=rtmp://127.0.0.1:41039/live&pageurl=&addr=127.0.0.1&clientid=8';

describe('parseNginxRtmp', () => {
  it('reads publish, publish_done, play, play_done and update_play with the client query appended', () => {
    expect(nginx(`${PUB}&call=publish&name=${ID}&type=live&key=${KEY}&x=1`)).toEqual({
      action: 'publish',
      name: ID,
      key: KEY,
      clientId: '3',
    });
    expect(nginx(`${PUB}&call=publish_done&name=${ID}&key=${KEY}`)).toEqual({
      action: 'publish_done',
      name: ID,
      clientId: '3',
    });
    expect(
      nginx(
        `${PLAYER}&call=play&name=${ID}&start=4294965296&duration=0&reset=0&sid=s1&exp=123&sig=abc`,
      ),
    ).toEqual({
      action: 'play',
      name: ID,
      sid: 's1',
      exp: '123',
      sig: 'abc',
      protocol: 'rtmp',
      lease: 'ttl',
    });
    expect(nginx(`${PLAYER}&call=play_done&name=${ID}&sid=s1&exp=123&sig=abc`)).toEqual({
      action: 'play_done',
      name: ID,
      sid: 's1',
      exp: '123',
      sig: 'abc',
    });
    expect(
      nginx(`${PLAYER}&call=update_play&time=30&timestamp=30012&name=${ID}&sid=s1&exp=1&sig=x`),
    ).toEqual({ action: 'update_play', name: ID, sid: 's1', exp: '1', sig: 'x' });
    expect(() => nginx(`${PLAYER}&call=update_play&name=${ID}&sid=a&sid=b`)).toThrow(
      ValidationFailedError,
    );
  });

  it('passes missing values on as null (the rules refuse them)', () => {
    expect(nginx(`${PUB}&call=publish&name=${ID}&type=live`)).toEqual({
      action: 'publish',
      name: ID,
      key: null,
      clientId: '3',
    });
    expect(nginx(`call=publish&name=&key=`)).toEqual({
      action: 'publish',
      name: null,
      key: null,
      clientId: null,
    });
    expect(nginx(`call=publish&name=${'x'.repeat(65)}&key=k`)).toMatchObject({ name: null });
    expect(nginx(`call=publish&name=${encodeURIComponent("' OR 1=1 --")}&key=k`)).toMatchObject({
      name: "' OR 1=1 --",
    });
  });

  it('labels hook_duration_seconds only with known calls and actions', () => {
    expect(hookActionLabel('nginx-rtmp', { call: 'update_play' })).toBe('update_play');
    expect(hookActionLabel('nginx-rtmp', { call: 'x'.repeat(500) })).toBe('other');
    expect(hookActionLabel('srs', { action: 'on_play' })).toBe('on_play');
    expect(hookActionLabel('mediamtx', { action: ['read'] })).toBe('other');
    expect(hookActionLabel('mediamtx', undefined)).toBe('other');
    expect(hookActionLabel('hls', undefined)).toBe('check');
  });

  it('reads record_done with the recorded path, and refuses a path given twice', () => {
    const file = `/var/lib/nginx-rtmp/recordings/${ID}-1764600000.flv`;
    expect(
      nginx(`${PUB}&call=record_done&recorder=&name=${ID}&path=${encodeURIComponent(file)}`),
    ).toEqual({ action: 'record_done', name: ID, path: file });
    expect(nginx(`${PUB}&call=record_done&name=${ID}`)).toEqual({
      action: 'record_done',
      name: ID,
      path: null,
    });
    expect(() => nginx(`${PUB}&call=record_done&name=${ID}&path=/a.flv&path=/b.flv`)).toThrow(
      ValidationFailedError,
    );
  });

  it('answers done, update and connect as notifications without effect', () => {
    for (const call of ['done', 'update', 'connect'])
      expect(nginx(`${PUB}&call=${call}&name=${ID}`)).toEqual({ action: 'ignore' });
  });

  it('reads update_publish (on_update for a publisher) with its key and client id', () => {
    expect(
      nginx(`${PUB}&call=update_publish&time=10&timestamp=10013&name=${ID}&key=${KEY}`),
    ).toEqual({ action: 'update_publish', name: ID, key: KEY, clientId: '3' });
    expect(nginx(`${PUB}&call=update_publish&name=${ID}`)).toEqual({
      action: 'update_publish',
      name: ID,
      key: null,
      clientId: '3',
    });
    expect(() => nginx(`${PUB}&call=update_publish&name=${ID}&key=a&key=b`)).toThrow(
      ValidationFailedError,
    );
  });

  it('refuses a body whose structure cannot be trusted', () => {
    for (const body of [
      `${PUB}&name=${ID}&key=${KEY}`,
      `${PUB}&call=PUBLISH&name=${ID}`,
      `${PUB}&call=publish&name=${ID}&type=live&key=a&key=b`,
      `${PUB}&call=publish&name=${ID}&type=live&key=${KEY}&name=${ID}`,
      `${PUB}&call=publish&name=${ID}&type=live&key=${KEY}&clientid=9`,
      `${PUB}&call=publish&name=${ID}&type=live&key=${KEY}&call=publish_done`,
      `call=publish&name=${ID}&key=k&clientid=${'1'.repeat(129)}`,
    ]) {
      expect(() => nginx(body)).toThrow(ValidationFailedError);
    }
    for (const raw of [undefined, null, 'call=publish', [], 42])
      expect(() => parseNginxRtmp(raw)).toThrow(ValidationFailedError);
  });
});

describe('parseSrs', () => {
  const base = {
    server_id: 'vid-0xk989d',
    service_id: 'f4o4aw1l',
    client_id: '341w361a',
    ip: '127.0.0.1',
    vhost: '__defaultVhost__',
    app: 'live',
    tcUrl: 'rtmp://127.0.0.1/live',
    stream: ID,
    stream_url: `/live/${ID}`,
    stream_id: 'vid-124q9y3',
  };

  it('maps on_publish/on_unpublish/on_play/on_stop and reads key, exp, sig from param', () => {
    expect(parseSrs({ ...base, action: 'on_publish', param: `?key=${KEY}&foo=bar` })).toEqual({
      action: 'publish',
      name: ID,
      key: KEY,
      clientId: '341w361a',
    });
    expect(parseSrs({ ...base, action: 'on_unpublish', param: `?key=${KEY}` })).toEqual({
      action: 'publish_done',
      name: ID,
      clientId: '341w361a',
    });
    expect(
      parseSrs({ ...base, action: 'on_play', param: '?sid=i&exp=1&sig=s', pageUrl: '' }),
    ).toEqual({
      action: 'play',
      name: ID,
      sid: 'i',
      exp: '1',
      sig: 's',
      protocol: 'rtmp',
      lease: 'exp',
    });
    expect(
      parseSrs({ ...base, action: 'on_play', tcUrl: 'http://127.0.0.1:8080/live', param: '' }),
    ).toMatchObject({ action: 'play', protocol: 'flv', sid: null });
    expect(parseSrs({ ...base, action: 'on_stop', param: '?sid=i&exp=1&sig=s' })).toEqual({
      action: 'play_done',
      name: ID,
      sid: 'i',
      exp: '1',
      sig: 's',
    });
    expect(parseSrs({ ...base, action: 'on_publish', client_id: 1985, param: '' })).toEqual({
      action: 'publish',
      name: ID,
      key: null,
      clientId: '1985',
    });
    expect(parseSrs({ ...base, action: 'on_connect' })).toEqual({ action: 'ignore' });
  });

  it('reads on_dvr, resolving a relative file against the cwd SRS sends', () => {
    expect(
      parseSrs({ ...base, action: 'on_dvr', cwd: '/usr/local/srs', file: '/rec/live/a.flv' }),
    ).toEqual({ action: 'record_done', name: ID, path: '/rec/live/a.flv' });
    expect(
      parseSrs({ ...base, action: 'on_dvr', cwd: '/usr/local/srs', file: './objs/live/a.flv' }),
    ).toEqual({ action: 'record_done', name: ID, path: '/usr/local/srs/objs/live/a.flv' });
    expect(parseSrs({ ...base, action: 'on_dvr', file: '../a.flv' })).toEqual({
      action: 'record_done',
      name: ID,
      path: '../a.flv',
    });
    expect(() => parseSrs({ ...base, action: 'on_dvr', file: ['/a.flv', '/b.flv'] })).toThrow(
      ValidationFailedError,
    );
  });

  it('refuses unknown actions, wrong types and repeated query values', () => {
    for (const body of [
      { ...base, action: 'on_hack' },
      { ...base },
      { ...base, action: 'on_publish', stream: 5 },
      { ...base, action: 'on_publish', param: '?key=a&key=b' },
      { ...base, action: 'on_publish', client_id: { a: 1 } },
      { ...base, action: ['on_publish'] },
    ]) {
      expect(() => parseSrs(body)).toThrow(ValidationFailedError);
    }
  });
});

describe('parseMediaMtx', () => {
  const base = {
    user: '',
    password: '',
    token: '',
    ip: '127.0.0.1',
    protocol: 'rtmp',
    id: '9a3c1d2e-7b4f-4c5d-8e6f-1a2b3c4d5e6f',
  };

  it('maps publish and read (a read is leased for the session TTL: no "done" call exists)', () => {
    expect(parseMediaMtx({ ...base, action: 'publish', path: ID, query: `key=${KEY}` })).toEqual({
      action: 'publish',
      name: ID,
      key: KEY,
      clientId: base.id,
      protocol: 'rtmp',
    });
    expect(
      parseMediaMtx({
        ...base,
        action: 'read',
        path: `/${ID}`,
        query: 'sid=i&exp=1&sig=s',
        id: null,
        protocol: 'hls',
      }),
    ).toEqual({
      action: 'play',
      name: ID,
      sid: 'i',
      exp: '1',
      sig: 's',
      protocol: 'hls',
      lease: 'ttl',
    });
  });

  it('reads live/<id> (the ingest URL OnAir hands out) as the same stream as <id>', () => {
    for (const path of [`live/${ID}`, `/live/${ID}`, ID, `/${ID}`])
      expect(
        parseMediaMtx({ ...base, action: 'publish', path, query: `key=${KEY}` }),
      ).toMatchObject({ action: 'publish', name: ID });
    expect(
      parseMediaMtx({ ...base, action: 'read', path: `live/${ID}`, query: 'exp=1&sig=s' }),
    ).toMatchObject({ action: 'play', name: ID });
    // Deeper paths, or an application that is not a plain word, name no stream (refused).
    for (const path of [`a/live/${ID}`, `/${ID}/x/y`, `//${ID}`, `../${ID}`, `./${ID}`])
      expect(
        parseMediaMtx({ ...base, action: 'publish', path, query: `key=${KEY}` }),
      ).toMatchObject({ action: 'publish', name: null });
  });

  it('refuses every other action', () => {
    for (const action of ['playback', 'api', 'metrics', 'pprof', 'future'])
      expect(parseMediaMtx({ ...base, action, path: ID, query: `key=${KEY}` })).toEqual({
        action: 'deny',
      });
    expect(() => parseMediaMtx({ ...base, path: ID })).toThrow(ValidationFailedError);
  });
});
