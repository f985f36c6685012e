import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkRecordingPath, isInside } from './recording-path';

describe('checkRecordingPath', () => {
  let root: string;
  let dir: string;
  let outside: string;

  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'onair-recpath-')));
    dir = path.join(root, 'recordings');
    outside = path.join(root, 'elsewhere');
    fs.mkdirSync(dir);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(dir, 'a.flv'), 'x');
    fs.writeFileSync(path.join(outside, 'secret.flv'), 'x');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('accepts a regular file inside the directory and names its demuxer', async () => {
    const r = await checkRecordingPath(dir, path.join(dir, 'a.flv'));
    expect(r).toMatchObject({ ok: true, realPath: path.join(dir, 'a.flv'), demuxer: 'flv' });
  });

  it('accepts files in subdirectories and SRS mp4 recordings', async () => {
    fs.mkdirSync(path.join(dir, 'live'));
    fs.writeFileSync(path.join(dir, 'live', 'b.MP4'), 'x');
    expect(await checkRecordingPath(dir, path.join(dir, 'live', 'b.MP4'))).toMatchObject({
      ok: true,
      demuxer: 'mov',
    });
  });

  it('refuses ../ traversal out of the directory', async () => {
    const r = await checkRecordingPath(dir, `${dir}/../elsewhere/secret.flv`);
    expect(r).toEqual({ ok: false, reason: 'outside-recordings-dir' });
  });

  it('refuses a symlink inside the directory that leads out of it', async () => {
    fs.symlinkSync(path.join(outside, 'secret.flv'), path.join(dir, 'link.flv'));
    expect(await checkRecordingPath(dir, path.join(dir, 'link.flv'))).toEqual({
      ok: false,
      reason: 'outside-recordings-dir',
    });
  });

  it('refuses a path through a symlinked directory that leads out', async () => {
    fs.symlinkSync(outside, path.join(dir, 'sub'));
    expect(await checkRecordingPath(dir, path.join(dir, 'sub', 'secret.flv'))).toEqual({
      ok: false,
      reason: 'outside-recordings-dir',
    });
  });

  it('follows a symlink that stays inside and reports the real path', async () => {
    fs.symlinkSync(path.join(dir, 'a.flv'), path.join(dir, 'alias.flv'));
    expect(await checkRecordingPath(dir, path.join(dir, 'alias.flv'))).toMatchObject({
      ok: true,
      realPath: path.join(dir, 'a.flv'),
    });
  });

  it('works when the recordings directory itself is reached through a symlink', async () => {
    const viaLink = path.join(root, 'rec-link');
    fs.symlinkSync(dir, viaLink);
    expect(await checkRecordingPath(viaLink, path.join(dir, 'a.flv'))).toMatchObject({ ok: true });
    expect(await checkRecordingPath(dir, path.join(viaLink, 'a.flv'))).toMatchObject({ ok: true });
  });

  it('refuses the directory itself, subdirectories and non-regular files', async () => {
    fs.mkdirSync(path.join(dir, 'd.flv'));
    expect(await checkRecordingPath(dir, dir)).toEqual({
      ok: false,
      reason: 'outside-recordings-dir',
    });
    expect(await checkRecordingPath(dir, path.join(dir, 'd.flv'))).toEqual({
      ok: false,
      reason: 'not-a-file',
    });
  });

  it('refuses a prefix-sharing sibling directory', async () => {
    const sibling = `${dir}-evil`;
    fs.mkdirSync(sibling);
    fs.writeFileSync(path.join(sibling, 'x.flv'), 'x');
    expect(await checkRecordingPath(dir, path.join(sibling, 'x.flv'))).toEqual({
      ok: false,
      reason: 'outside-recordings-dir',
    });
  });

  it('refuses missing files, relative, empty, overlong and NUL-carrying paths', async () => {
    expect(await checkRecordingPath(dir, path.join(dir, 'nope.flv'))).toEqual({
      ok: false,
      reason: 'not-found',
    });
    expect(await checkRecordingPath(dir, 'a.flv')).toEqual({ ok: false, reason: 'not-absolute' });
    expect(await checkRecordingPath(dir, null)).toEqual({ ok: false, reason: 'missing-path' });
    expect(await checkRecordingPath(dir, '')).toEqual({ ok: false, reason: 'missing-path' });
    expect(await checkRecordingPath(dir, `/${'a'.repeat(5000)}`)).toEqual({
      ok: false,
      reason: 'invalid-path',
    });
    expect(await checkRecordingPath(dir, `${dir}/a.flv\0.txt`)).toEqual({
      ok: false,
      reason: 'invalid-path',
    });
  });

  it('refuses files of unknown types and everything when no directory is configured', async () => {
    fs.writeFileSync(path.join(dir, 'list.m3u8'), '#EXTM3U');
    expect(await checkRecordingPath(dir, path.join(dir, 'list.m3u8'))).toEqual({
      ok: false,
      reason: 'unsupported-extension',
    });
    expect(await checkRecordingPath(undefined, path.join(dir, 'a.flv'))).toEqual({
      ok: false,
      reason: 'no-recordings-dir',
    });
    expect(await checkRecordingPath(path.join(root, 'gone'), path.join(dir, 'a.flv'))).toEqual({
      ok: false,
      reason: 'no-recordings-dir',
    });
  });
});

describe('isInside', () => {
  it('is true only strictly below the directory', () => {
    expect(isInside('/rec', '/rec/a.flv')).toBe(true);
    expect(isInside('/rec', '/rec/x/a.flv')).toBe(true);
    expect(isInside('/rec', '/rec')).toBe(false);
    expect(isInside('/rec', '/recx/a.flv')).toBe(false);
    expect(isInside('/rec', '/a.flv')).toBe(false);
    expect(isInside('/rec', '/rec/..a.flv')).toBe(true);
  });
});
