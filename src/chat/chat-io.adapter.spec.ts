import { originAllowed } from './chat-io.adapter';

describe('originAllowed (socket handshake Origin check)', () => {
  const listed = ['https://app.example.com'];

  it('lets non-browser clients (no Origin) through', () => {
    expect(originAllowed(undefined, 'api.example.com', listed)).toBe(true);
    expect(originAllowed('', 'api.example.com', [])).toBe(true);
  });

  it('allows listed origins and refuses others', () => {
    expect(originAllowed('https://app.example.com', 'api.example.com', listed)).toBe(true);
    expect(originAllowed('https://evil.example', 'api.example.com', listed)).toBe(false);
    expect(originAllowed('https://app.example.com.evil.example', 'api.example.com', listed)).toBe(
      false,
    );
    expect(originAllowed('http://app.example.com', 'api.example.com', listed)).toBe(false);
    expect(originAllowed('null', 'api.example.com', listed)).toBe(false);
  });

  it('allows pages served by the same host (behind a proxy the Host header has no port)', () => {
    expect(originAllowed('https://live.example.com', 'live.example.com', [])).toBe(true);
    expect(originAllowed('http://localhost:5173', 'localhost:3000', [])).toBe(true);
    expect(originAllowed('https://other.example.com', 'live.example.com', [])).toBe(false);
    expect(originAllowed('https://live.example.com', undefined, [])).toBe(false);
  });

  it('allows any origin with "*"', () => {
    expect(originAllowed('https://anything.example', 'api.example.com', ['*'])).toBe(true);
  });
});
