import * as fs from 'node:fs';
import * as path from 'node:path';
import { modeEnv, ModeEnv } from '../helpers/modes';
import { securityMode, startWithEnv, tinyMp4 } from './support';

/**
 * OWASP API8 on file serving: ids that try to walk the file system name no video, dot files
 * are never served, and hostile Range headers get a clean 206/200/416 — never a 500, never a
 * byte outside the file.
 */
describe(`video files under attack (${securityMode})`, () => {
  let m: ModeEnv;
  let app: Awaited<ReturnType<typeof startWithEnv>>;
  let token: string;
  let videoId: string;
  const size = tinyMp4().length;

  beforeAll(async () => {
    m = await modeEnv(securityMode, { THROTTLE_LIMIT: '100000' });
    app = await startWithEnv(m.env);
    token = (await app.http.user('files')).token;
    const form = new FormData();
    form.append('title', 'target');
    form.append(
      'file',
      new Blob([tinyMp4()], { type: 'video/mp4' }),
      '../../../../../tmp/onair-pwned.mp4',
    );
    const res = await fetch(`${app.url}/api/v1/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(res.status).toBe(201);
    videoId = ((await res.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await app?.close();
    await m?.cleanup();
  });

  const raw = async (p: string, headers: Record<string, string> = {}) => {
    const r = await fetch(app.url + p, { headers });
    const body = Buffer.from(await r.arrayBuffer());
    return { status: r.status, headers: r.headers, body };
  };

  it('never turns a client-supplied file name into a path', () => {
    expect(fs.existsSync('/tmp/onair-pwned.mp4')).toBe(false);
    const stored = fs
      .readdirSync(path.join(m.env.DATA_DIR, 'videos'))
      .filter((n) => !n.startsWith('.'));
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((n) => !n.includes('pwned') && !n.includes('..'))).toBe(true);
  });

  it('answers traversal, absolute and dot-file ids with 404/400 and no file bytes', async () => {
    fs.writeFileSync(path.join(m.env.DATA_DIR, 'videos', '.secret-dotfile'), 'TOPSECRET-DOTFILE');
    const ids = [
      '..',
      '.',
      '..%2f..%2fonair.sqlite',
      '..%2F..%2F..%2Fetc%2Fpasswd',
      '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '..%252f..%252fetc%252fpasswd',
      '%2fetc%2fpasswd',
      '%2Fetc%2Fpasswd',
      '..%5c..%5cwindows%5cwin.ini',
      '.secret-dotfile',
      '.env',
      '.git%2fconfig',
      'onair.sqlite',
      '..%c0%af..%c0%afetc%c0%afpasswd',
      `${videoId}%2f..%2f..%2fonair.sqlite`,
      `${videoId}%00.mp4`,
      `${videoId.toUpperCase()}%2f..`,
      '%252e%252e%252f',
      '....%2f%2f....%2f%2fetc%2fpasswd',
    ];
    const bad: string[] = [];
    for (const id of ids) {
      for (const suffix of ['', '/content']) {
        const r = await raw(`/api/v1/videos/${id}${suffix}`);
        const text = r.body.toString('latin1');
        if (![400, 404].includes(r.status) || /root:|TOPSECRET|SQLite format|\[core\]/.test(text))
          bad.push(`${id}${suffix} → ${r.status}`);
      }
    }
    // Unencoded traversal is resolved by the client or the router, and still finds nothing.
    for (const p of [
      '/api/v1/videos/../../../etc/passwd',
      '/api/v1/videos/./.secret-dotfile/content',
    ]) {
      const r = await raw(p);
      if (r.status < 400 || /root:|TOPSECRET/.test(r.body.toString('latin1')))
        bad.push(`${p} → ${r.status}`);
    }
    expect(bad).toEqual([]);
  });

  it('handles hostile Range headers with 206/200/416 only, and never a byte outside the file', async () => {
    const cases = [
      'bytes=0-0',
      'bytes=-1',
      'bytes=0-',
      `bytes=${size - 1}-`,
      `bytes=0-${size * 10}`,
      'bytes=5-1',
      'bytes=-0',
      `bytes=${size}-`,
      `bytes=${size + 1}-${size + 10}`,
      'bytes=99999999999999999999999-',
      'bytes=-99999999999999999999999',
      'bytes=0-99999999999999999999999',
      'bytes=9007199254740993-9007199254740999',
      'bytes=-5-10',
      'bytes=-1-5',
      'bytes=1e3-2e3',
      'bytes=0x10-0x20',
      'bytes= 1 - 2 ',
      'bytes=--1',
      'bytes=1--2',
      'bytes=abc',
      'bytes=',
      'bytes',
      'items=0-10',
      'BYTES=0-1',
      'bytes=0-1,2-3',
      Array.from({ length: 1200 }, (_, i) => `${i}-${i}`)
        .join(',')
        .replace(/^/, 'bytes='),
      'bytes=0-1,-1,5-',
      `bytes=${'9'.repeat(5000)}-`,
    ];
    const bad: string[] = [];
    for (const range of cases) {
      const started = performance.now();
      const r = await raw(`/api/v1/videos/${videoId}/content`, { range });
      const ms = performance.now() - started;
      const cr = r.headers.get('content-range');
      const problem = ![200, 206, 416].includes(r.status)
        ? `status ${r.status}`
        : r.status === 200 && r.body.length !== size
          ? `200 with ${r.body.length} bytes`
          : r.status === 416 && cr !== `bytes */${size}`
            ? `416 with Content-Range ${cr}`
            : r.status === 206 &&
                !(() => {
                  const mm = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(cr ?? '');
                  return (
                    mm !== null &&
                    Number(mm[1]) <= Number(mm[2]) &&
                    Number(mm[2]) < size &&
                    Number(mm[3]) === size &&
                    r.body.length === Number(mm[2]) - Number(mm[1]) + 1
                  );
                })()
              ? `206 with Content-Range ${cr} and ${r.body.length} bytes`
              : ms > 1500
                ? `slow (${Math.round(ms)} ms)`
                : undefined;
      if (problem) bad.push(`${range.slice(0, 40)} → ${problem}`);
    }
    expect(bad).toEqual([]);
  });

  it('ignores garbage validators instead of failing (If-Range, If-None-Match, If-Modified-Since)', async () => {
    for (const headers of [
      { range: 'bytes=0-1', 'if-range': 'garbage' },
      { range: 'bytes=0-1', 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' },
      { 'if-none-match': '*'.repeat(8000) },
      { 'if-none-match': 'W/"x", "y", ,,, "' },
      { 'if-modified-since': 'not a date' },
      { 'if-modified-since': 'Sat, 01 Jan 275760 00:00:00 GMT' },
    ] as Record<string, string>[]) {
      const r = await raw(`/api/v1/videos/${videoId}/content`, headers);
      expect({
        headers: Object.keys(headers),
        ok: [200, 206, 304, 412].includes(r.status),
      }).toEqual({ headers: Object.keys(headers), ok: true });
    }
    expect((await app.http.get('/health/live')).status).toBe(200);
  });
});
