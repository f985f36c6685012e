/**
 * Browser tests drive Debian's Chromium (never a downloaded browser) through playwright-core
 * against the built app (dist/, `npm run build`) and a real nginx-rtmp fed by ffmpeg.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { modeEnv, type ModeEnv } from '../helpers/modes';
import { describeMedia, startNginxRtmp, type NginxRtmpInstance } from '../helpers/media';
import { freePort, MAIN_JS, spawnApp, type AppProcess } from '../helpers/process';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * `describe` when Chromium and the media tools are installed; otherwise a counted skip, or a
 * failing test under CI / REQUIRE_SERVICES=1 (a test run installs nothing).
 */
export function describeInBrowser(name: string, fn: () => void): void {
  describeMedia(name, fn, fs.existsSync(CHROMIUM) ? [] : [`chromium (${CHROMIUM})`]);
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
