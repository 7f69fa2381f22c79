import { TrailscopeError } from '@trailscope/model';

const RELATIVE_RE = /^(\d{1,6})(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Date-only (taken as UTC midnight) or date-time with an explicit zone: a zoneless time would depend on the host. */
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/** True when `value` is a time this module can resolve: `now`, a relative duration (`24h`, `7d`) or ISO-8601. */
export function isTimeExpression(value: string): boolean {
  return value === 'now' || RELATIVE_RE.test(value) || (ISO_RE.test(value) && !Number.isNaN(Date.parse(value)));
}

/**
 * Resolves a time expression to epoch milliseconds. Relative durations count back from `nowMs`, so paginating a
 * relative range must pin `nowMs` (the cursor carries it) or the window would slide between pages.
 */
export function resolveTimeMs(value: string, nowMs: number, field: string): number {
  if (value === 'now') return nowMs;
  const rel = RELATIVE_RE.exec(value);
  if (rel) return nowMs - Number(rel[1]) * (UNIT_MS[rel[2] as string] as number);
  if (ISO_RE.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new TrailscopeError(
    'VALIDATION_FAILED',
    `${field}: "${value}" is not a time; use ISO-8601 with a zone (2026-03-01T12:00:00Z), a date (2026-03-01), "now" or a duration back from now (15m, 24h, 7d)`,
    { context: { field } },
  );
}
