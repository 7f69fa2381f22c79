import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  it('doubles the ceiling per attempt and draws from its upper half', () => {
    expect(backoffDelayMs(1, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelayMs(1, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelayMs(4, 100, 10_000, () => 0)).toBe(400);
    expect(backoffDelayMs(4, 100, 10_000, () => 1)).toBe(800);
  });

  it('never exceeds the cap', () => {
    for (let attempt = 1; attempt < 60; attempt++) expect(backoffDelayMs(attempt, 200, 5000)).toBeLessThanOrEqual(5000);
    expect(backoffDelayMs(40, 200, 5000, () => 0)).toBe(2500);
  });
});
