import { Injectable } from '@nestjs/common';
import type { StreamDto } from './dto/stream.dto';
import { TtlCache } from '../common/ttl-cache';

/** A public view without its live viewer count (what the view cache keeps). */
export type CachedView = Omit<StreamDto, 'viewers'>;

/**
 * How long a public stream view may be served from memory. Changes made through this
 * instance (REST or hooks) drop the entry at once, so a view is at most this old only with
 * respect to changes made by OTHER instances.
 */
export const VIEW_CACHE_TTL_MS = 1000;
const VIEW_CACHE_MAX_ENTRIES = 10_000;

/** Public stream views by id, shared by the REST rules and the publishing rules that change them. */
@Injectable()
export class StreamViewCache extends TtlCache<CachedView> {
  constructor() {
    super(VIEW_CACHE_TTL_MS, VIEW_CACHE_MAX_ENTRIES);
  }
}
