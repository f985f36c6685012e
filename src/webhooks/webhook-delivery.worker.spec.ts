import { backoffMs } from './webhook-delivery.worker';

describe('backoffMs', () => {
  it('doubles from the base per attempt, between half and all of the step', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 60_000, () => 1))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 60_000, () => 0))).toEqual([
      500, 1000, 2000, 4000,
    ]);
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(backoffMs(8, 30_000, 3_600_000, () => 1)).toBe(3_600_000);
    expect(backoffMs(50, 30_000, 3_600_000, () => 1)).toBe(3_600_000);
    expect(backoffMs(50, 30_000, 3_600_000, () => 0)).toBe(1_800_000);
  });
});
