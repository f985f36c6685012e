import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Pages the server knows; each has one bundled script (see web/build.mjs). */
export const PAGES = ['home', 'watch', 'studio', 'embed'] as const;
export type PageName = (typeof PAGES)[number];

export interface Asset {
  body: Buffer;
  gzipped?: Buffer;
  contentType: string;
  etag: string;
}

interface Manifest {
  scripts: Record<string, string>;
  style: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** dist/web above this file: dist/src/web at run time, src/web under the tests. */
export function findBuiltWebDir(start = __dirname): string | undefined {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, 'dist', 'web');
    if (fs.existsSync(path.join(candidate, 'manifest.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The built pages, held in memory: a handful of content-hashed files read once at start-up,
 * so serving one is a map lookup (no path ever comes from the request).
 */
export class WebAssets {
  private constructor(
    private readonly files: ReadonlyMap<string, Asset>,
    private readonly manifest: Manifest,
  ) {}

  static load(dir: string): WebAssets {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'),
    ) as Manifest;
    const files = new Map<string, Asset>();
    const assetsDir = path.join(dir, 'assets');
    for (const name of fs.readdirSync(assetsDir)) {
      const type = TYPES[path.extname(name)];
      if (!type) continue;
      const body = fs.readFileSync(path.join(assetsDir, name));
      const gz = gzipSync(body, { level: 9 });
      files.set(name, {
        body,
        gzipped: gz.length < body.length ? gz : undefined,
        contentType: type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      });
    }
    for (const page of PAGES) {
      if (!manifest.scripts[page]) throw new Error(`web manifest has no script for ${page}`);
    }
    return new WebAssets(files, manifest);
  }

  asset(name: string): Asset | undefined {
    return this.files.get(name);
  }

  /** The page shell: the script builds the page from the public API. */
  html(page: PageName, title: string): string {
    const bodyClass = page === 'embed' ? 'embed' : `page-${page}`;
    return (
      '<!doctype html>\n<html lang="en">\n<head>\n' +
      '<meta charset="utf-8">\n' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
      '<meta name="color-scheme" content="light">\n' +
      `<title>${title}</title>\n` +
      '<link rel="icon" href="data:,">\n' +
      `<link rel="stylesheet" href="${this.manifest.style}">\n` +
      `<script type="module" src="${this.manifest.scripts[page]}"></script>\n` +
      `</head>\n<body class="${bodyClass}">\n` +
      '<div id="app"><noscript>OnAir pages need JavaScript.</noscript></div>\n' +
      '</body>\n</html>\n'
    );
  }
}
