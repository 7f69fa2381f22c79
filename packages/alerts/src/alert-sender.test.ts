import { createHmac } from 'node:crypto';
import { alertIdFor, signatureOf, throttledAlertId } from './alert';
import { backoffMs } from './alert-sender';

describe('delivery helpers', () => {
  it('backoff doubles from the base up to the cap, with 50-100 % jitter', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, 1000, 5000, () => 1))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(backoffMs(3, 1000, 60_000, () => 0)).toBe(2000);
  });

  it('signs the exact body with HMAC-SHA256', () => {
    const body = '{"id":"a-1"}';
    expect(signatureOf(body, 'k'.repeat(16))).toBe(`sha256=${createHmac('sha256', 'k'.repeat(16)).update(body).digest('hex')}`);
  });

  it('alert ids depend only on what the alert is about', () => {
    expect(alertIdFor('f-1')).toBe(alertIdFor('f-1'));
    expect(alertIdFor('f-1')).not.toBe(alertIdFor('f-2'));
    expect(throttledAlertId('r', 'k=v', 1000)).not.toBe(throttledAlertId('r', 'k=v', 2000));
    expect(alertIdFor('f-1')).toMatch(/^a-[0-9a-f]{40}$/);
  });
});
