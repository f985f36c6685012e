import { spawn } from 'node:child_process';

/**
 * ffmpeg and ffprobe, run as child processes with an argument array (never a shell), a time
 * limit (SIGKILL at the deadline) and bounded output capture. Inputs are always given with the
 * `file:` protocol, `-protocol_whitelist file` and an explicit demuxer, so a reported file can
 * only ever be read as the container it claims to be: no playlist, concat list or URL inside it
 * makes ffmpeg open anything else.
 */

/** ffmpeg demuxer names for the containers we read. */
export type Demuxer = 'flv' | 'mov' | 'matroska' | 'mpegts';

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  /** The last few KiB of stderr (ffmpeg's reason for a failure). */
  stderr: string;
}

/** A tool that could not be run or did not succeed; `detail` is for logs, never for clients. */
export class MediaToolError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'MediaToolError';
  }
}

const MAX_STDOUT = 256 * 1024;
const MAX_STDERR = 4 * 1024;

export function runTool(
  bin: string,
  args: string[],
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => {
      if (stdout.length < MAX_STDOUT) stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-MAX_STDERR);
    });
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    opts.signal?.addEventListener('abort', kill, { once: true });
    const done = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
    };
    child.once('error', (err) => {
      done();
      reject(new MediaToolError(`${bin} could not be started: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      done();
      resolve({ code, signal, timedOut, stdout, stderr: stderr.trim() });
    });
  });
}

function failure(tool: string, r: ToolResult, timeoutMs: number): MediaToolError {
  if (r.timedOut) return new MediaToolError(`${tool} did not finish within ${timeoutMs} ms`);
  if (r.signal) return new MediaToolError(`${tool} was stopped (${r.signal})`, r.stderr);
  return new MediaToolError(`${tool} exited with code ${r.code}`, r.stderr);
}

export interface Probe {
  /** Seconds, rounded to milliseconds; null when the container does not say. */
  durationSec: number | null;
  /** Number of audio/video streams. */
  avStreams: number;
}

/** Reads a media file's duration and streams with `ffprobe -of json`. Throws when it cannot. */
export async function probe(
  file: string,
  demuxer: Demuxer,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<Probe> {
  const r = await runTool(
    'ffprobe',
    [
      '-hide_banner',
      '-v',
      'error',
      '-protocol_whitelist',
      'file',
      '-f',
      demuxer,
      '-show_entries',
      'format=duration:stream=codec_type',
      '-of',
      'json',
      `file:${file}`,
    ],
    opts,
  );
  if (r.code !== 0 || r.timedOut) throw failure('ffprobe', r, opts.timeoutMs);
  let parsed: { format?: { duration?: unknown }; streams?: { codec_type?: unknown }[] };
  try {
    parsed = JSON.parse(r.stdout) as typeof parsed;
  } catch {
    throw new MediaToolError('ffprobe printed no JSON', r.stdout.slice(0, 500));
  }
  const raw = Number(parsed.format?.duration);
  const durationSec = Number.isFinite(raw) && raw >= 0 ? Math.round(raw * 1000) / 1000 : null;
  const avStreams = (parsed.streams ?? []).filter(
    (s) => s.codec_type === 'video' || s.codec_type === 'audio',
  ).length;
  return { durationSec, avStreams };
}

/**
 * `ffmpeg -c copy -movflags +faststart`: repackages audio and video into MP4 without
 * re-encoding, with the index (moov) before the media data so players can start at once.
 */
export async function remuxToMp4(
  input: string,
  demuxer: Demuxer,
  output: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  const r = await runTool(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-protocol_whitelist',
      'file',
      '-f',
      demuxer,
      '-i',
      `file:${input}`,
      '-map',
      '0:v?',
      '-map',
      '0:a?',
      '-c',
      'copy',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      '-y',
      `file:${output}`,
    ],
    opts,
  );
  if (r.code !== 0 || r.timedOut) throw failure('ffmpeg', r, opts.timeoutMs);
}
