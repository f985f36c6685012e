import { detectContainer, normaliseMediaType, SNIFF_BYTES } from './video-signature';

const bytes = (n: number, at: Record<number, number[]>) => {
  const b = Buffer.alloc(n, 0x20);
  for (const [off, vals] of Object.entries(at)) Buffer.from(vals).copy(b, Number(off));
  return b;
};

describe('video signatures', () => {
  it('recognises ISO-BMFF by the ftyp box at offset 4', () => {
    expect(
      detectContainer(bytes(32, { 0: [0, 0, 0, 0x20], 4: [...Buffer.from('ftypisom')] })),
    ).toBe('iso-bmff');
    expect(detectContainer(bytes(32, { 0: [...Buffer.from('ftyp')] }))).toBeNull();
    expect(detectContainer(Buffer.from('\0\0\0\x14fty'))).toBeNull();
  });

  it('recognises Matroska/WebM by the EBML magic', () => {
    expect(detectContainer(bytes(16, { 0: [0x1a, 0x45, 0xdf, 0xa3] }))).toBe('matroska');
    expect(detectContainer(bytes(16, { 0: [0x1a, 0x45, 0xdf, 0xa2] }))).toBeNull();
  });

  it('recognises MPEG-TS only by two sync bytes 188 apart', () => {
    expect(detectContainer(bytes(SNIFF_BYTES, { 0: [0x47], 188: [0x47] }))).toBe('mpeg-ts');
    expect(detectContainer(bytes(SNIFF_BYTES, { 0: [0x47], 188: [0x48] }))).toBeNull();
    expect(detectContainer(Buffer.from('GIF89a some picture'))).toBeNull();
  });

  it('rejects text, empty input and other formats', () => {
    expect(detectContainer(Buffer.alloc(0))).toBeNull();
    expect(
      detectContainer(Buffer.from('<html><script>alert(1)</script></html>'.repeat(10))),
    ).toBeNull();
    expect(detectContainer(Buffer.from('RIFF\0\0\0\0AVI LIST'))).toBeNull();
  });

  it('normalises declared media types', () => {
    expect(normaliseMediaType('Video/MP4; codecs="avc1.42E01E"')).toBe('video/mp4');
    expect(normaliseMediaType(' video/webm ')).toBe('video/webm');
    expect(normaliseMediaType('video')).toBeUndefined();
    expect(normaliseMediaType('')).toBeUndefined();
    expect(normaliseMediaType(undefined)).toBeUndefined();
  });
});
