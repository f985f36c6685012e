import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Demuxer } from '../videos/media-tools';

/** Why a reported recording path was not accepted (logged; never sent to anyone). */
export type PathRefusal =
  | 'missing-path'
  | 'invalid-path'
  | 'not-absolute'
  | 'no-recordings-dir'
  | 'not-found'
  | 'outside-recordings-dir'
  | 'not-a-file'
  | 'unsupported-extension';

export type CheckedPath =
  | { ok: true; realPath: string; demuxer: Demuxer; ino: number; dev: number }
  | { ok: false; reason: PathRefusal };

/** Longest path we look at (PATH_MAX on Linux). */
export const MAX_PATH = 4096;

/**
 * Containers a media server records into, by extension, and the demuxer ffmpeg is told to use
 * for them: nginx-rtmp writes FLV; SRS `dvr` writes FLV or MP4.
 */
const DEMUXER_BY_EXTENSION: Readonly<Record<string, Demuxer>> = {
  '.flv': 'flv',
  '.mp4': 'mov',
  '.m4v': 'mov',
  '.mov': 'mov',
  '.ts': 'mpegts',
  '.mkv': 'matroska',
  '.webm': 'matroska',
};

/** True when `child` is strictly below `dir` (both already absolute and resolved). */
export function isInside(dir: string, child: string): boolean {
  const rel = path.relative(dir, child);
  return rel !== '' && !path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`);
}

/**
 * Accepts a reported recording only when, after every symlink is resolved (realpath), it is a
 * regular file strictly inside RECORDINGS_DIR (itself resolved the same way) with an extension
 * we know how to read. `../` tricks, symlinks that lead out, directories, devices and FIFOs are
 * all refused. The result names the real path, so later steps never follow a link again.
 */
export async function checkRecordingPath(
  recordingsDir: string | undefined,
  reported: string | null,
): Promise<CheckedPath> {
  if (reported === null || reported === '') return { ok: false, reason: 'missing-path' };
  if (reported.length > MAX_PATH || reported.includes('\0'))
    return { ok: false, reason: 'invalid-path' };
  if (!path.isAbsolute(reported)) return { ok: false, reason: 'not-absolute' };
  if (recordingsDir === undefined) return { ok: false, reason: 'no-recordings-dir' };
  let dir: string;
  try {
    dir = await fs.realpath(recordingsDir);
  } catch {
    return { ok: false, reason: 'no-recordings-dir' };
  }
  let real: string;
  try {
    real = await fs.realpath(reported);
  } catch {
    return { ok: false, reason: 'not-found' };
  }
  if (!isInside(dir, real)) return { ok: false, reason: 'outside-recordings-dir' };
  let st: import('node:fs').Stats;
  try {
    // lstat: realpath resolved every link, so anything but a plain file here is refused.
    st = await fs.lstat(real);
  } catch {
    return { ok: false, reason: 'not-found' };
  }
  if (!st.isFile()) return { ok: false, reason: 'not-a-file' };
  const demuxer = DEMUXER_BY_EXTENSION[path.extname(real).toLowerCase()];
  if (demuxer === undefined) return { ok: false, reason: 'unsupported-extension' };
  return { ok: true, realPath: real, demuxer, ino: st.ino, dev: st.dev };
}
