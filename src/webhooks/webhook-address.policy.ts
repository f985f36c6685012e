import * as ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';

/** Names of cloud instance-metadata services: never a webhook receiver, whatever they resolve to. */
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.platformequinix.com',
  'metadata.tencentyun.com',
]);

/** Metadata endpoints by address (AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba, Oracle). */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254',
  'fd00:ec2::254',
  '100.100.100.200',
  '192.0.0.192',
]);

export class UnsafeWebhookUrlError extends Error {}

export interface VettedTarget {
  url: URL;
  /** The checked address the request must connect to (no second DNS answer is trusted). */
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Why an address may not receive webhooks, or undefined when it may: only globally routable
 * unicast is allowed. IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, the old
 * compatible ::a.b.c.d, NAT64, 6to4, Teredo) are judged by, or refused for, what they embed.
 */
export function addressRefusal(address: string, allowPrivate = false): string | undefined {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return 'not an IP address';
  }
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address();
    else if (v6.parts.slice(0, 6).every((p) => p === 0) && !['::', '::1'].includes(v6.toString()))
      // ::a.b.c.d (deprecated IPv4-compatible form) reaches a.b.c.d on some stacks.
      return `IPv4-compatible address (${ipaddr.IPv4.parse(embeddedV4(v6)).range()})`;
  }
  const normal = ip.toNormalizedString();
  const canonical = ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6).toString() : normal;
  if (METADATA_ADDRESSES.has(canonical)) return 'metadata service';
  if (allowPrivate) return undefined;
  const range = ip.range();
  return range === 'unicast' ? undefined : range;
}

function embeddedV4(v6: ipaddr.IPv6): string {
  const [hi, lo] = [v6.parts[6], v6.parts[7]];
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** Structural checks that need no DNS: scheme, credentials, length, metadata names. */
export function urlRefusal(raw: string): string | undefined {
  if (raw.length > 2048) return 'url must be at most 2048 characters';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'url must use http or https';
  if (url.username !== '' || url.password !== '')
    return 'url must not carry credentials (requests are signed instead)';
  const host = hostOf(url);
  if (host === '') return 'url must name a host';
  if (METADATA_HOSTS.has(host)) return `url host ${host} is a metadata service`;
  return undefined;
}

/** URL.hostname without IPv6 brackets and a trailing root dot, lower-cased. */
export function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/**
 * Resolves the URL's host and checks EVERY address it resolves to (one bad answer among good
 * ones is how rebinding tricks hide); returns the address to connect to.
 */
export async function vetWebhookUrl(
  raw: string,
  opts: { allowPrivate: boolean; resolve?: Resolver },
): Promise<VettedTarget> {
  const structural = urlRefusal(raw);
  if (structural) throw new UnsafeWebhookUrlError(structural);
  const url = new URL(raw);
  const host = hostOf(url);
  let answers: { address: string; family: number }[];
  if (ipaddr.isValid(host)) answers = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  else {
    try {
      answers = await (opts.resolve ?? systemResolver)(host);
    } catch {
      throw new UnsafeWebhookUrlError(`url host ${host} does not resolve`);
    }
  }
  if (answers.length === 0) throw new UnsafeWebhookUrlError(`url host ${host} does not resolve`);
  for (const a of answers) {
    const why = addressRefusal(a.address, opts.allowPrivate);
    if (why)
      throw new UnsafeWebhookUrlError(
        `url host ${host} resolves to ${a.address}, which is not allowed (${why})`,
      );
  }
  const first = answers[0];
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
