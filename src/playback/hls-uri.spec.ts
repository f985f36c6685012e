import fc from 'fast-check';
import { MAX_HLS_URI, parseHlsUri } from './hls-uri';

const ID = '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b';
const Q = 'sid=9nq3Yk0fQm2lB6yZ8xWcNg&exp=1795300000&sig=abc';
const session = { sid: '9nq3Yk0fQm2lB6yZ8xWcNg', exp: '1795300000', sig: 'abc' };

describe('parseHlsUri', () => {
  it('reads the stream and session of playlists and segments, flat or nested, under any prefix', () => {
    for (const uri of [
      `/hls/${ID}.m3u8?${Q}`,
      `/hls/${ID}-12.ts?${Q}`,
      `/hls/${ID}/index.m3u8?${Q}`,
      `/hls/${ID}/7.ts?${Q}`,
      `/live/hls/${ID.toUpperCase()}.m3u8?_HLS_msn=3&${Q}`,
    ])
      expect(parseHlsUri(uri)).toEqual({ streamId: ID, ...session });
    expect(parseHlsUri(`/hls/${ID}.m3u8`)).toEqual({
      streamId: ID,
      sid: null,
      exp: null,
      sig: null,
    });
  });

  it('refuses what nginx could resolve to another file, other files, repeated parameters and oversize URIs', () => {
    for (const uri of [
      `/hls/${ID}.m3u8x?${Q}`,
      `/hls/${ID}.mp4?${Q}`,
      `/hls/x${ID}.m3u8?${Q}`.replace('/x', 'x'),
      `/hls/%2e%2e/${ID}.m3u8?${Q}`,
      `/hls/other.m3u8/../${ID}.m3u8?${Q}`,
      `/hls/${ID}.m3u8?${Q}&sig=again`,
      `/hls/${ID}.m3u8?${Q}&x=${'a'.repeat(MAX_HLS_URI)}`,
      `${ID}.m3u8?${Q}`,
      '',
      '?',
    ])
      expect({ uri: uri.slice(0, 80), parsed: parseHlsUri(uri) }).toEqual({
        uri: uri.slice(0, 80),
        parsed: null,
      });
  });

  it('never throws, whatever the header holds', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), (uri) => {
        const r = parseHlsUri(uri);
        return r === null || typeof r.streamId === 'string';
      }),
      { numRuns: 3000 },
    );
  });
});
