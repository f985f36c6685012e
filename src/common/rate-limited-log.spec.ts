import { WarnEvery } from './rate-limited-log';

describe('WarnEvery', () => {
  it('is due on the first call, quiet within the interval and due again once it has passed', () => {
    let t = 1_000;
    const warn = new WarnEvery(10_000, () => t);
    expect(warn.due()).toBe(true);
    t += 9_999;
    expect(warn.due()).toBe(false);
    t += 1;
    expect(warn.due()).toBe(true);
    t += 5_000;
    expect(warn.due()).toBe(false);
  });

  it('is due on the first call even when the clock reads zero', () => {
    expect(new WarnEvery(10_000, () => 0).due()).toBe(true);
  });
});
