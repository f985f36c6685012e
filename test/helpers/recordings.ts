/**
 * Helpers for recording tests: real media files made by ffmpeg, and a reader for the top-level
 * boxes of an MP4 (to check that `moov` comes before `mdat`, i.e. -movflags +faststart).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

function run(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${bin} exited with ${code}: ${err}`));
    });
  });
}

/**
 * A small real recording: testsrc video (H.264, yuv420p) and a sine tone (AAC) in `container`
 * (flv as nginx-rtmp records, or mp4), `seconds` long.
 */
export async function makeClip(
  file: string,
  seconds: number,
  container: 'flv' | 'mp4' = 'flv',
): Promise<void> {
  await run('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=160x120:rate=15:duration=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=22050:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-threads',
    '1',
    '-c:a',
    'aac',
    '-b:a',
    '32k',
    '-f',
    container,
    '-y',
    file,
  ]);
}

/** Duration by ffprobe (test-side, independent of the app's probe). */
export async function ffprobeDuration(file: string): Promise<number> {
  const out = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'json',
    file,
  ]);
  return Number((JSON.parse(out) as { format: { duration: string } }).format.duration);
}

/** Types of the top-level boxes of an ISO-BMFF (MP4) file, in file order. */
export function topLevelBoxes(buf: Buffer): string[] {
  const types: string[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (size === 1) {
      if (off + 16 > buf.length) break;
      size = Number(buf.readBigUInt64BE(off + 8));
    } else if (size === 0) {
      size = buf.length - off;
    }
    if (size < 8) throw new Error(`bad box size ${size} at ${off}`);
    types.push(type);
    off += size;
  }
  return types;
}

/** Files in a directory, or [] when it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}
