import { InvalidArgumentError } from 'commander';
import { parse as parseCsv } from 'csv-parse/sync';

/**
 * Commander reducer for every list flag: `--account A --account B` and `--account A,B` alike. A value is one CSV
 * record, so a name that itself holds a comma (IAM names and ARNs may) is written quoted: `--user '"svc,deploy"'`.
 * Blanks around items and a trailing comma are tolerated; a value with no item at all is refused, because reading
 * `--account ""` (an unset shell variable) as "every account" would widen what the operator asked for.
 */
export function parseList(value: string, previous: string[] = []): string[] {
  let records: string[][];
  try {
    records = parseCsv(value, { trim: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new InvalidArgumentError(`expected comma-separated values (quote an item containing a comma): ${(err as Error).message}`);
  }
  if (records.length > 1) throw new InvalidArgumentError('expected comma-separated values on one line');
  const items = (records[0] ?? []).filter((v) => v !== '');
  if (items.length === 0) throw new InvalidArgumentError('expected at least one value');
  return previous.concat(items);
}

export function parsePositiveInt(value: string): number {
  const trimmed = value.trim();
  const n = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function parseBoolean(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('expected true or false');
}

export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return Number(value);
}
