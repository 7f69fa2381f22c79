import { isTimeExpression, resolveTimeMs } from './time-expression';

const NOW = Date.parse('2026-03-10T00:00:00.000Z');

describe('time expressions', () => {
  it.each([
    ['now', NOW],
    ['24h', NOW - 24 * 3600_000],
    ['7d', NOW - 7 * 86_400_000],
    ['15m', NOW - 15 * 60_000],
    ['2w', NOW - 14 * 86_400_000],
    ['500ms', NOW - 500],
    ['2026-03-01', Date.parse('2026-03-01T00:00:00Z')],
    ['2026-03-01T12:34:56Z', Date.parse('2026-03-01T12:34:56Z')],
    ['2026-03-01T12:34:56.789Z', Date.parse('2026-03-01T12:34:56.789Z')],
    ['2026-03-01T14:34:56+02:00', Date.parse('2026-03-01T12:34:56Z')],
  ])('%s resolves', (text, expected) => {
    expect(isTimeExpression(text)).toBe(true);
    expect(resolveTimeMs(text, NOW, 'from')).toBe(expected);
  });

  it.each(['', 'yesterday', '2026-03-01T12:00:00', '24', 'h', '-1d', '2026-13-01', '1y'])('%j is rejected with the field name', (text) => {
    expect(isTimeExpression(text)).toBe(false);
    expect(() => resolveTimeMs(text, NOW, 'to')).toThrow(/^to: /);
  });
});
