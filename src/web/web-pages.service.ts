import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { NotFoundError, ServiceUnavailableError } from '../common/errors';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { contentSecurityPolicy } from './content-security-policy';
import { findBuiltWebDir, WebAssets, type Asset, type PageName } from './web-assets';

export interface PageResponse {
  html: string;
  headers: Record<string, string>;
}

/** Optional provider: where the built pages are (tests); unset → dist/web above this file. */
export const WEB_BUILT_DIR = Symbol('WEB_BUILT_DIR');

const TITLES: Record<PageName, string> = {
  home: 'Live now · OnAir',
  watch: 'Watch · OnAir',
  studio: 'Studio · OnAir',
  embed: 'Chat · OnAir',
};

/** Builds the page responses once; the pages themselves talk to the public API only. */
@Injectable()
export class WebPagesService {
  private readonly log = new Logger('WebPagesService');
  private readonly assets: WebAssets | undefined;
  private readonly pages = new Map<PageName, PageResponse>();

  /** `builtDir` is for tests; the app finds dist/web itself. */
  constructor(
    @InjectConfig() config: AppConfig,
    @Optional() @Inject(WEB_BUILT_DIR) builtDir?: string,
  ) {
    const dir = builtDir ?? findBuiltWebDir();
    try {
      this.assets = dir ? WebAssets.load(dir) : undefined;
    } catch (err) {
      this.log.error(`Cannot read the built pages in ${dir}: ${(err as Error).message}`);
    }
    if (!this.assets) {
      // The API must still start (tests and API-only deployments run without a web build).
      this.log.warn('The web pages are not built (run npm run build); they answer 503');
      return;
    }
    for (const page of Object.keys(TITLES) as PageName[]) {
      this.pages.set(page, {
        html: this.assets.html(page, TITLES[page]),
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': contentSecurityPolicy(config.media.hlsBaseUrl, {
            embeddable: page === 'embed',
          }),
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'same-origin',
          ...(page === 'embed' ? {} : { 'x-frame-options': 'SAMEORIGIN' }),
        },
      });
    }
  }

  page(name: PageName): PageResponse {
    const p = this.pages.get(name);
    if (!p) throw new ServiceUnavailableError('The web pages are not built: run npm run build');
    return p;
  }

  asset(name: string): Asset {
    const a = this.assets?.asset(name);
    if (!a) throw new NotFoundError('Asset');
    return a;
  }
}
