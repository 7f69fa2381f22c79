import { TrailscopeError } from '@trailscope/model';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Validates a YYYY-MM-DD flag value; `name` is the flag for the message. */
export function parseDay(value: string, name: string): string {
  const d = new Date(`${value}T00:00:00Z`);
  if (!DATE_RE.test(value) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
    throw new TrailscopeError('USAGE', `${name} "${value}" is not a date: use YYYY-MM-DD`, { context: { flag: name, value } });
  }
  return value;
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * A delivery-date folder receives files only during its own day (UTC); one extra day covers late visibility and
 * clock skew. A closed folder can be sealed as complete.
 */
export function isClosedDay(date: string, now: Date): boolean {
  return date <= addDays(utcDay(now), -2);
}

/** The delivery date of a CloudTrail key (from its `YYYY/MM/DD/` folder), if any. */
export function dayOfKey(key: string): string | undefined {
  const m = /\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]*$/.exec(key);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}
