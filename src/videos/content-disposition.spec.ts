import { inlineDisposition } from './content-disposition';

describe('inlineDisposition', () => {
  it('keeps a plain title as the file name with the extension of the type', () => {
    expect(inlineDisposition('Keynote 2026', 'video/mp4')).toBe(
      `inline; filename="Keynote 2026.mp4"; filename*=UTF-8''Keynote%202026.mp4`,
    );
    expect(inlineDisposition('clip', 'video/webm')).toContain('filename="clip.webm"');
    expect(inlineDisposition('clip', 'video/mp2t')).toContain('filename="clip.ts"');
  });

  it('cannot be used for header injection or path tricks', () => {
    const d = inlineDisposition('a"; filename="../../evil.sh\r\nSet-Cookie: x=1', 'video/mp4');
    expect(d).not.toMatch(/[\r\n]/);
    const plain = /filename="([^"]*)"/.exec(d)![1];
    expect(plain).not.toMatch(/["/\\]/);
    expect(plain.endsWith('.mp4')).toBe(true);
    const extended = decodeURIComponent(/filename\*=UTF-8''(.*)$/.exec(d)![1]);
    expect(extended).not.toMatch(/[/\\\r\n]/);
    expect(d.match(/filename=/g)).toHaveLength(1);
  });

  it('keeps non-ASCII titles in filename* and falls back to "video" when nothing ASCII is left', () => {
    const d = inlineDisposition('直播回放', 'video/mp4');
    expect(d).toContain('filename="video.mp4"');
    expect(decodeURIComponent(/filename\*=UTF-8''(.*)$/.exec(d)![1])).toBe('直播回放.mp4');
    expect(inlineDisposition('Café crème', 'video/mp4')).toContain('filename="Cafe creme.mp4"');
  });

  it('never produces a hidden or dots-only name', () => {
    expect(inlineDisposition('...', 'video/mp4')).toContain('filename="video.mp4"');
    expect(inlineDisposition('.hidden.', 'video/mp4')).toContain('filename="hidden.mp4"');
    expect(inlineDisposition('x'.repeat(500), 'video/mp4')).toContain(
      `filename="${'x'.repeat(100)}.mp4"`,
    );
  });
});
