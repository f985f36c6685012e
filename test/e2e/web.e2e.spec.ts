import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { findBuiltWebDir } from '../../src/web/web-assets';
import { startApp, TestApp } from '../helpers/app';

const PAGES = ['/', '/studio', '/watch/6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11', '/embed/chat/abc'];
const HLS_BASE_URL = 'http://127.0.0.1:18080/hls';

/** The pages are built by `npm run build` (dist/web); these tests serve that build. */
function builtAssets(): string[] {
  const dir = findBuiltWebDir(path.join(__dirname, '..', '..', 'src', 'web'));
  if (!dir) throw new Error('dist/web is missing: run npm run build first (npm test does it)');
  return fs.readdirSync(path.join(dir, 'assets'));
}

const assetLinks = (html: string) =>
  [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);

describe('web pages (WEB_UI on, the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    builtAssets();
    t = await startApp('embedded', { HLS_BASE_URL });
  });
  afterAll(() => t?.close());

  it.each(PAGES)('serves %s as HTML with a self-only Content-Security-Policy', async (page) => {
    const r = await t.http.get(page);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.text).toContain('<div id="app">');
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("object-src 'none'");
    // The player fetches playlists from the media server and feeds MediaSource blobs.
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:18080");
    expect(csp).toContain("media-src 'self' blob: http://127.0.0.1:18080");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('lets only the chat embed be framed (for overlays), not the studio', async () => {
    const embed = await t.http.get('/embed/chat/abc');
    const studio = await t.http.get('/studio');
    expect(embed.headers.get('content-security-policy')).toContain('frame-ancestors *');
    expect(embed.headers.get('x-frame-options')).toBeNull();
    expect(studio.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect(studio.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('links only same-origin assets, and serves each one with its type and long caching', async () => {
    const html = (await t.http.get('/watch/x')).text;
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    const links = assetLinks(html);
    expect(links).toHaveLength(2);
    for (const link of links) {
      const r = await t.http.get(link);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(
        link.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
      expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(r.text.length).toBeGreaterThan(100);
    }
  });

  it('serves every built chunk, gzipped when asked, and answers 304 to a matching ETag', async () => {
    const files = builtAssets();
    expect(files.some((f) => f.startsWith('chunk-'))).toBe(true);
    for (const f of files) expect((await t.http.get(`/assets/${f}`)).status).toBe(200);
    const watchJs = assetLinks((await t.http.get('/watch/x')).text).find((l) => l.endsWith('.js'))!;
    const plain = await t.http.get(watchJs, undefined, { 'accept-encoding': 'identity' });
    const gz = await t.http.get(watchJs, undefined, { 'accept-encoding': 'gzip' });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.text).toBe(plain.text);
    const again = await t.http.get(watchJs, undefined, {
      'if-none-match': plain.headers.get('etag')!,
    });
    expect(again.status).toBe(304);
  });

  it('answers an unknown asset with a 404 in the contract error shape', async () => {
    for (const p of [
      '/assets/nope.js',
      '/assets/..%2Fmanifest.json',
      '/assets/%2e%2e%2fmanifest.json',
    ]) {
      const r = await t.http.get(p);
      expect(r.status).toBe(404);
      expect(r.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: expect.any(String),
        code: 'NOT_FOUND',
        requestId: r.headers.get('x-request-id'),
      });
    }
  });

  it('keeps the API, /docs and the Swagger document as they were (no page routes in it)', async () => {
    expect((await t.http.get('/api/v1/streams')).status).toBe(200);
    const docs = await t.http.get('/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger');
    const json = await t.http.get('/docs-json');
    expect(json.status).toBe(200);
    expect(Object.keys(json.body.paths)).toContain('/api/v1/streams');
    expect(
      Object.keys(json.body.paths).filter((p) => !/^\/(api\/v1|health|metrics)/.test(p)),
    ).toEqual([]);
    // Pages and assets are not under the API prefix.
    expect((await t.http.get('/api/v1/studio')).status).toBe(404);
  });
});

describe('web pages with WEB_UI=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('embedded', { WEB_UI: 'false' });
  });
  afterAll(() => t?.close());

  it('answers every page and asset path with 404 while the API and /docs still work', async () => {
    const asset = builtAssets().find((f) => f.endsWith('.css'))!;
    for (const p of [...PAGES, `/assets/${asset}`]) {
      const r = await t.http.get(p);
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('NOT_FOUND');
      expect(r.headers.get('content-security-policy')).toBeNull();
    }
    expect((await t.http.get('/api/v1/streams')).status).toBe(200);
    expect((await t.http.get('/api/v1/rooms')).status).toBe(200);
    expect((await t.http.get('/docs')).status).toBe(200);
    expect((await t.http.get('/health/live')).status).toBe(200);
  });
});

describe('WEB_UI setting', () => {
  it('defaults to on, reads true/false, and stops start-up on anything else naming the variable', () => {
    expect(loadConfig({}).webUi).toBe(true);
    expect(loadConfig({ WEB_UI: 'false' }).webUi).toBe(false);
    expect(loadConfig({ WEB_UI: 'true' }).webUi).toBe(true);
    expect(() => loadConfig({ WEB_UI: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEB_UI: 'maybe' })).toThrow(/WEB_UI/);
  });
});
