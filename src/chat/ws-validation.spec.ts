import { SendMessagePayload } from './chat.dto';
import { validatePayload } from './ws-validation';

const roomId = '0b6f7f4e-2a4b-4f49-9a57-2d4a7f0c9e11';

describe('validatePayload', () => {
  it('trims text and keeps known fields', () => {
    const v = validatePayload(SendMessagePayload, { roomId, text: '  hi  ', clientMsgId: 'a-1' });
    expect(v).toEqual({
      ok: true,
      value: expect.objectContaining({ roomId, text: 'hi', clientMsgId: 'a-1' }),
    });
  });

  it.each([
    ['not an object', 'hello'],
    ['null', null],
    ['an array', [roomId, 'hi']],
    ['a Buffer', Buffer.from('x')],
    ['an unknown property', { roomId, text: 'hi', admin: true }],
    ['a __proto__ key', JSON.parse(`{"roomId":"${roomId}","text":"hi","__proto__":{"x":1}}`)],
    ['blank text', { roomId, text: ' \n\t ' }],
    ['text over 500 characters', { roomId, text: 'x'.repeat(501) }],
    ['a bad room id', { roomId: "1' OR 1=1", text: 'hi' }],
  ])('refuses %s with VALIDATION_FAILED (never throws)', (_name, payload) => {
    const v = validatePayload(SendMessagePayload, payload);
    expect(v).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('names the offending property', () => {
    const v = validatePayload(SendMessagePayload, { roomId, text: 'hi', extra: 1 });
    expect(!v.ok && v.error.message).toContain('property extra should not exist');
  });
});
