/**
 * Browser tests drive Debian's Chromium (never a downloaded browser) through playwright-core
 * against the built app (dist/, `npm run build`) and a real nginx-rtmp fed by ffmpeg.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { modeEnv, type ModeEnv } from '../helpers/modes';
import {
  ensureMediaTools,
  findExecutable,
  mediaToolsAvailable,
  startNginxRtmp,
  type NginxRtmpInstance,
} from '../helpers/media';
import { freePort, MAIN_JS, spawnApp, type AppProcess } from '../helpers/process';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const required = Boolean(process.env.CI) || process.env.REQUIRE_SERVICES === '1';
const canInstall =
  typeof process.getuid === 'function' &&
  process.getuid() === 0 &&
  findExecutable('apt-get') !== null;

/** `describe` when Chromium and the media tools are usable; otherwise a loud skip (a failure under CI). */
export function describeInBrowser(name: string, fn: () => void): void {
  const missing: string[] = [];
  if (!fs.existsSync(CHROMIUM)) missing.push(`chromium (${CHROMIUM})`);
  const media = mediaToolsAvailable();
  if (!media.ok && !canInstall) missing.push(...media.missing);
  if (missing.length === 0 || required) {
    describe(name, fn);
    return;
  }
  process.stderr.write(
    `\n${'!'.repeat(100)}\n!!! SKIPPED "${name}": missing ${missing.join(', ')}. ` +
      `Install chromium (apt-get install chromium) and nginx libnginx-mod-rtmp ffmpeg, or set REQUIRE_SERVICES=1 to make this a failure.\n${'!'.repeat(100)}\n\n`,
  );
  describe.skip(name, fn);
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Muted autoplay is allowed anyway; this also lets the player start without a click.
  '--autoplay-policy=no-user-gesture-required',
];

/** A fresh Chromium (playwright gives every launch its own temporary profile directory). */
export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A visitor: its own cookies and localStorage, so signed-in and anonymous pages stay apart. */
export function newVisitor(
  browser: Browser,
  viewport = { width: 1280, height: 800 },
): Promise<BrowserContext> {
  return browser.newContext({ viewport, colorScheme: 'light' });
}

export interface Pipeline {
  app: AppProcess;
  media: NginxRtmpInstance;
  env: ModeEnv;
  close(): Promise<void>;
}

/**
 * nginx-rtmp on free ports calling the hooks of the real app process, which knows the media
 * server's HLS base URL (for the pages' CSP and the play URLs).
 */
export async function startPipeline(extra: Record<string, string> = {}): Promise<Pipeline> {
  if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build`);
  if (!fs.existsSync(path.join(path.dirname(MAIN_JS), '..', 'web', 'manifest.json')))
    throw new Error('dist/web is missing: run npm run build');
  const tools = await ensureMediaTools({
    log: (line) => process.stderr.write(`[media] ${line}\n`),
  });
  if (!tools.ok) throw new Error(`media tools missing: ${tools.missing.join(', ')}`);
  const env = await modeEnv('embedded');
  const port = await freePort();
  const media = await startNginxRtmp({
    hookUrl: `http://127.0.0.1:${port}/api/v1/hooks/nginx-rtmp`,
    hookSecret: env.env.HOOK_SECRET,
  });
  let app: AppProcess;
  try {
    app = await spawnApp({
      ...env.env,
      PORT: String(port),
      HLS_BASE_URL: `${media.httpBase}/hls`,
      RTMP_INGEST_URL: media.rtmpBase,
      // Several pages poll from one address; the limit itself is tested elsewhere.
      THROTTLE_LIMIT: '100000',
      ...extra,
    });
  } catch (err) {
    await media.stop();
    await env.cleanup();
    throw err;
  }
  return {
    app,
    media,
    env,
    async close() {
      await app.stop();
      await media.stop();
      await env.cleanup();
    },
  };
}

/** Where the README screenshots go when ONAIR_SCREENSHOTS=1. */
export const SCREENSHOTS = process.env.ONAIR_SCREENSHOTS === '1';
export const DOCS_DIR = path.resolve(__dirname, '..', '..', 'docs');
