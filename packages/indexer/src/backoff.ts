/**
 * Exponential backoff with jitter: the ceiling doubles per attempt up to `capMs`, and the delay is drawn from its
 * upper half, so that writers throttled together do not come back together while each still waits a sensible time.
 */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
