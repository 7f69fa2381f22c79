import { eventTimeByDate, eventTimeOf } from './event-time';

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const spell = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) =>
  `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}Z`;

describe('eventTimeOf', () => {
  it("keeps CloudTrail's own spelling as written", () => {
    expect(eventTimeOf('2026-03-01T10:00:00Z')).toBe('2026-03-01T10:00:00Z');
    expect(eventTimeOf('2024-02-29T23:59:59Z')).toBe('2024-02-29T23:59:59Z');
    expect(eventTimeOf('2000-02-29T00:00:00Z')).toBe('2000-02-29T00:00:00Z');
    expect(eventTimeOf('1970-01-01T00:00:00Z')).toBe('1970-01-01T00:00:00Z');
    expect(eventTimeOf('9999-12-31T23:59:59Z')).toBe('9999-12-31T23:59:59Z');
  });

  it('rewrites dates that do not exist the way Date rolls them over, never keeping them as written', () => {
    expect(eventTimeOf('2026-02-30T00:00:00Z')).toBe('2026-03-02T00:00:00.000Z');
    expect(eventTimeOf('2026-02-29T00:00:00Z')).toBe('2026-03-01T00:00:00.000Z');
    expect(eventTimeOf('2100-02-29T00:00:00Z')).toBe('2100-03-01T00:00:00.000Z');
    expect(eventTimeOf('2026-04-31T12:00:00Z')).toBe('2026-05-01T12:00:00.000Z');
    expect(eventTimeOf('2026-03-01T24:00:00Z')).toBe('2026-03-02T00:00:00.000Z');
  });

  it('rejects values Date cannot read or that fall outside 1970..9999', () => {
    for (const v of ['2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-03-00T00:00:00Z', '2026-03-32T00:00:00Z', '2026-03-01T10:60:00Z',
      '2026-03-01T10:00:60Z', '2026-03-01T25:00:00Z', '1969-12-31T23:59:59Z', '2026-0a-01T00:00:00Z', '2026-03-01 10:00:00Z', 'yesterday', '']) {
      expect([v, eventTimeOf(v)]).toEqual([v, eventTimeByDate(v)]);
    }
    expect(eventTimeOf('2026-13-01T00:00:00Z')).toBeUndefined();
    expect(eventTimeOf('1969-12-31T23:59:59Z')).toBeUndefined();
    expect(eventTimeOf('yesterday')).toBeUndefined();
    expect(eventTimeOf(1700000000)).toBeUndefined();
    expect(eventTimeOf(null)).toBeUndefined();
  });

  it('falls back to Date for other spellings and rewrites them as ISO-8601 UTC', () => {
    expect(eventTimeOf('2026-03-01T10:00:00+02:00')).toBe('2026-03-01T08:00:00.000Z');
    expect(eventTimeOf('2026-03-01T10:00:00.123Z')).toBe('2026-03-01T10:00:00.123Z');
    expect(eventTimeOf('2026-03-01T10:00Z')).toBe('2026-03-01T10:00:00.000Z');
    expect(eventTimeOf('2026-03-01')).toBe('2026-03-01T00:00:00.000Z');
    expect(eventTimeOf('Sun, 01 Mar 2026 10:00:00 GMT')).toBe('2026-03-01T10:00:00.000Z');
  });

  it('gives the same answer as the Date path for every day of leap, non-leap and boundary years and every edge time', () => {
    for (const y of [1969, 1970, 1999, 2000, 2023, 2024, 2100, 9999]) {
      for (let mo = 0; mo <= 13; mo++) {
        for (let d = 0; d <= 32; d++) {
          const v = spell(y, mo, d, 23, 59, 59);
          expect([v, eventTimeOf(v)]).toEqual([v, eventTimeByDate(v)]);
        }
      }
    }
    for (const [h, mi, s] of [[0, 0, 0], [23, 59, 59], [24, 0, 0], [12, 60, 0], [12, 0, 60], [99, 99, 99]] as const) {
      const v = spell(2026, 3, 1, h, mi, s);
      expect([v, eventTimeOf(v)]).toEqual([v, eventTimeByDate(v)]);
    }
  });
});
