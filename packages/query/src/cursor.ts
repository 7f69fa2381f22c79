import { createHash } from 'node:crypto';
import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';
import { SEARCH_FILTER_KEYS, type SearchFilters } from './search-filters';

const SortValue = z.union([z.string().max(1024), z.number(), z.null()]);

const CursorSchema = z.strictObject({
  v: z.literal(1),
  /** Hash of the filters and sort order the cursor was issued for. */
  h: z.string().regex(/^[0-9a-f]{32}$/),
  /** The instant relative times were resolved against on the first page. */
  n: z.int().nonnegative(),
  /** search_after values of the last hit returned. */
  a: z.array(SortValue).min(1).max(4),
  /** Point-in-time id, once the second page opened one. */
  p: z.string().min(1).max(60000).optional(),
  /** The total counted on the first page, in the snapshot `p` names: later pages in it need not count again. */
  t: z.int().nonnegative().optional(),
});

export type Cursor = z.output<typeof CursorSchema>;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Identifies what a cursor pages through: the filters and the sort, not the page size or raw flag. */
export function requestHash(filters: SearchFilters, sort: string): string {
  const picked: Record<string, unknown> = { sort };
  for (const key of SEARCH_FILTER_KEYS) if (filters[key] !== undefined) picked[key] = filters[key];
  return createHash('sha256').update(JSON.stringify(canonical(picked))).digest('hex').slice(0, 32);
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** Decodes and checks a cursor against the request it is presented with; INVALID_CURSOR otherwise. */
export function decodeCursor(text: string, expectedHash: string): Cursor {
  const invalid = (why: string) =>
    new TrailscopeError('INVALID_CURSOR', `cursor: ${why}`, { context: { field: 'cursor' } });
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw invalid('not a cursor issued by this server');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor issued by this server');
  }
  const parsed = CursorSchema.safeParse(json);
  if (!parsed.success) throw invalid('not a cursor issued by this server');
  if (parsed.data.h !== expectedHash) throw invalid('was issued for different filters or sort order; repeat the original request');
  return parsed.data;
}
