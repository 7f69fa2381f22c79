import { addDays, dayOfKey, isClosedDay, parseDay } from './dates';
import { forEachConcurrent } from './for-each-concurrent';

describe('dates', () => {
  it('validates YYYY-MM-DD and names the flag', () => {
    expect(parseDay('2026-02-28', '--from')).toBe('2026-02-28');
    expect(() => parseDay('2026-02-30', '--from')).toThrow(/--from "2026-02-30"/);
    expect(() => parseDay('yesterday', '--to')).toThrow(/--to/);
  });
  it('adds days across month ends', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
  });
  it('closes a delivery day once the next day is over', () => {
    const now = new Date('2026-03-10T00:30:00Z');
    expect(isClosedDay('2026-03-08', now)).toBe(true);
    expect(isClosedDay('2026-03-09', now)).toBe(false);
    expect(isClosedDay('2026-03-10', now)).toBe(false);
  });
  it('reads the delivery date of a key', () => {
    expect(dayOfKey('AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/05/f.json.gz')).toBe('2026-03-05');
    expect(dayOfKey('readme.txt')).toBeUndefined();
  });
});

describe('forEachConcurrent', () => {
  it('never exceeds the concurrency and visits every item', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachConcurrent([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setImmediate(r));
      seen.push(n);
      inFlight -= 1;
    });
    expect(peak).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
  it('rejects with the first error', async () => {
    await expect(
      forEachConcurrent([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
