import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NotFoundError, ServiceUnavailableError } from '../common/errors';
import { loadConfig } from '../config/app-config';
import { contentSecurityPolicy } from './content-security-policy';
import { WebPagesService } from './web-pages.service';

describe('WebPagesService', () => {
  let dir: string;
  const config = loadConfig({ HLS_BASE_URL: 'https://media.example.com:8443/hls' });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-web-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const fakeBuild = () => {
    fs.mkdirSync(path.join(dir, 'assets'));
    for (const f of ['home-A.js', 'watch-B.js', 'studio-C.js', 'embed-D.js', 'styles-E.css'])
      fs.writeFileSync(path.join(dir, 'assets', f), `/* ${f} */`);
    fs.writeFileSync(path.join(dir, 'assets', 'notes.txt'), 'not served');
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({
        scripts: {
          home: '/assets/home-A.js',
          watch: '/assets/watch-B.js',
          studio: '/assets/studio-C.js',
          embed: '/assets/embed-D.js',
        },
        style: '/assets/styles-E.css',
      }),
    );
  };

  it('renders each page shell with its own script, the stylesheet and the policy headers', () => {
    fakeBuild();
    const web = new WebPagesService(config, dir);
    const watch = web.page('watch');
    expect(watch.html).toContain('<script type="module" src="/assets/watch-B.js"></script>');
    expect(watch.html).toContain('<link rel="stylesheet" href="/assets/styles-E.css">');
    expect(watch.headers['content-security-policy']).toBe(
      contentSecurityPolicy(config.media.hlsBaseUrl, { embeddable: false }),
    );
    expect(web.page('embed').html).toContain('<body class="embed">');
    expect(web.asset('studio-C.js').contentType).toBe('text/javascript; charset=utf-8');
  });

  it('serves only built scripts and styles, by exact name', () => {
    fakeBuild();
    const web = new WebPagesService(config, dir);
    expect(() => web.asset('notes.txt')).toThrow(NotFoundError);
    expect(() => web.asset('../manifest.json')).toThrow(NotFoundError);
    expect(() => web.asset('home-a.js')).toThrow(NotFoundError);
  });

  it('keeps the app up without a build: pages answer 503, assets 404', () => {
    const web = new WebPagesService(config, path.join(dir, 'missing'));
    expect(() => web.page('home')).toThrow(ServiceUnavailableError);
    expect(() => web.asset('home-A.js')).toThrow(NotFoundError);
  });

  it('treats a build whose manifest lacks a page as missing', () => {
    fakeBuild();
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ scripts: { home: '/assets/home-A.js' }, style: '/assets/styles-E.css' }),
    );
    expect(() => new WebPagesService(config, dir).page('home')).toThrow(ServiceUnavailableError);
  });
});

describe('contentSecurityPolicy', () => {
  it('allows this origin, MediaSource blobs and the media server origin, nothing inline', () => {
    const csp = contentSecurityPolicy('https://media.example.com:8443/hls', { embeddable: false });
    expect(csp.split('; ')).toEqual(
      expect.arrayContaining([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "media-src 'self' blob: https://media.example.com:8443",
        "connect-src 'self' https://media.example.com:8443",
        "object-src 'none'",
        "frame-ancestors 'self'",
      ]),
    );
    expect(csp).not.toContain('unsafe');
    expect(contentSecurityPolicy('http://localhost:8080/hls', { embeddable: true })).toContain(
      'frame-ancestors *',
    );
  });
});
