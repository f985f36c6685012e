/**
 * What an uploaded video is allowed to be. A declared Content-Type alone proves nothing, so the
 * first bytes are checked against the container the type names before anything is kept.
 */
export type ContainerFamily = 'iso-bmff' | 'matroska' | 'mpeg-ts';

/** Declared media types we accept, and the container their bytes must look like. */
export const SUPPORTED_VIDEO_TYPES: Readonly<Record<string, ContainerFamily>> = {
  'video/mp4': 'iso-bmff',
  'video/quicktime': 'iso-bmff',
  'video/x-m4v': 'iso-bmff',
  'video/3gpp': 'iso-bmff',
  'video/3gpp2': 'iso-bmff',
  'video/webm': 'matroska',
  'video/x-matroska': 'matroska',
  'video/mp2t': 'mpeg-ts',
};

/** File name extension used in Content-Disposition for each accepted type. */
export const EXTENSION_BY_TYPE: Readonly<Record<string, string>> = {
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/x-m4v': 'm4v',
  'video/3gpp': '3gp',
  'video/3gpp2': '3g2',
  'video/webm': 'webm',
  'video/x-matroska': 'mkv',
  'video/mp2t': 'ts',
};

const TS_PACKET = 188;

/** Bytes needed to decide: an MPEG-TS sync byte at 0 and at 188 (two packets). */
export const SNIFF_BYTES = TS_PACKET + 1;

/** `Video/MP4; codecs="avc1"` → `video/mp4`; undefined when it is not a type/subtype token pair. */
export function normaliseMediaType(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const base = raw.split(';')[0].trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(base) ? base : undefined;
}

/** The container the first bytes belong to, or null when they match none we accept. */
export function detectContainer(head: Buffer): ContainerFamily | null {
  // ISO base media (mp4/mov/3gp): the first box is `ftyp`, its type at offset 4.
  if (head.length >= 8 && head.toString('latin1', 4, 8) === 'ftyp') return 'iso-bmff';
  // Matroska/WebM: EBML magic.
  if (
    head.length >= 4 &&
    head[0] === 0x1a &&
    head[1] === 0x45 &&
    head[2] === 0xdf &&
    head[3] === 0xa3
  )
    return 'matroska';
  // MPEG-TS: 0x47 sync byte at the start of two consecutive 188-byte packets. One byte alone is
  // far too weak a signal ("G" starts GIF files and plain text).
  if (head.length > TS_PACKET && head[0] === 0x47 && head[TS_PACKET] === 0x47) return 'mpeg-ts';
  return null;
}
