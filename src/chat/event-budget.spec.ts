import { fakeSocket } from '../../test/helpers/fakes';
import { EventBudget } from './event-budget';

const socket = (id: string, connected = true) => fakeSocket({ id, connected });

describe('EventBudget (per-connection inbound events)', () => {
  it('allows a burst of 20 events, then refuses until the budget refills at 10 per second', () => {
    const budget = new EventBudget();
    const s = socket('a');
    const t0 = 1_000_000;

    const burst = Array.from({ length: 20 }, () => budget.take(s, t0));

    expect(burst.every(Boolean)).toBe(true);
    expect(budget.take(s, t0)).toBe(false);
    expect(budget.take(s, t0 + 100)).toBe(true);
    expect(budget.take(s, t0 + 100)).toBe(false);
  });

  it('keeps one budget per socket', () => {
    const budget = new EventBudget();
    const t0 = 1_000_000;
    for (let i = 0; i < 20; i++) budget.take(socket('busy'), t0);

    expect(budget.take(socket('busy'), t0)).toBe(false);
    expect(budget.take(socket('quiet'), t0)).toBe(true);
  });

  it('keeps no entry for a socket that has already disconnected', () => {
    const budget = new EventBudget();
    const t0 = 1_000_000;
    for (let i = 0; i < 20; i++) budget.take(socket('gone', false), t0);

    // Nothing was kept for the closed socket, so the same id starts from a full budget.
    expect(budget.take(socket('gone'), t0)).toBe(true);
  });

  it('starts over after forget()', () => {
    const budget = new EventBudget();
    const s = socket('b');
    const t0 = 1_000_000;
    for (let i = 0; i < 20; i++) budget.take(s, t0);
    budget.forget('b');

    expect(budget.take(s, t0)).toBe(true);
  });
});
