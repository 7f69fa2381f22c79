import { createPitLimiter, keepAliveMs } from './pit-limiter';

describe('PIT limiter', () => {
  let clock = 1_000_000;
  const limiter = () => createPitLimiter({ maxPerPrincipal: 2, nowMs: () => clock });

  it('reserves up to the limit per principal, counting reservations at once', () => {
    const l = limiter();
    const a = l.reserve('k1');
    const b = l.reserve('k1');
    expect(a && b).toBeTruthy();
    expect(l.reserve('k1')).toBeUndefined();
    expect(l.reserve('k2')).toBeDefined();
    a!.bind('pit-a', 60_000);
    expect(l.openCount('k1')).toBe(2);
    b!.cancel();
    expect(l.openCount('k1')).toBe(1);
    expect(l.reserve('k1')).toBeDefined();
  });

  it('frees a point in time when released or once its keep-alive passed, and extends it when touched', () => {
    const l = limiter();
    l.reserve('k')!.bind('p1', 60_000);
    l.reserve('k')!.bind('p2', 60_000);
    expect(l.reserve('k')).toBeUndefined();
    l.release('k', 'p1');
    expect(l.openCount('k')).toBe(1);
    clock += 50_000;
    l.touch('k', 'p2', 60_000);
    clock += 50_000;
    expect(l.openCount('k')).toBe(1);
    clock += 11_000;
    expect(l.openCount('k')).toBe(0);
  });

  it('counts a point in time another process opened once it is read here', () => {
    const l = limiter();
    l.touch('k', 'elsewhere', 60_000);
    l.reserve('k')!.bind('here', 60_000);
    expect(l.reserve('k')).toBeUndefined();
  });

  it('parses keep-alive times', () => {
    expect([keepAliveMs('5m'), keepAliveMs('30s'), keepAliveMs('500ms'), keepAliveMs('1h')]).toEqual([300_000, 30_000, 500, 3_600_000]);
    expect(() => keepAliveMs('5 minutes')).toThrow(/5 minutes/);
  });
});
