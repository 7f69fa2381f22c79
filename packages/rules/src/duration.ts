import { RuleRefusal } from './rule-refusal';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Sigma timespans: a number and a lower-case unit letter (`30s`, `5m`, `1h`, `14d`). */
export function parseDurationMs(text: unknown, what: string, line: number): number {
  const m = typeof text === 'string' ? /^(\d{1,9})([smhd])$/.exec(text) : null;
  if (m === null) throw new RuleRefusal(`${what} "${String(text)}" is not a duration such as 30s, 5m, 1h or 14d`, line);
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  if (ms <= 0) throw new RuleRefusal(`${what} must be longer than zero`, line);
  return ms;
}
