import { z } from 'zod';
import { searchFilterShape } from './search-filters';
import { validationErrorFrom } from './zod-error';

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

export const SearchRequestSchema = z.strictObject({
  ...searchFilterShape,
  sort: z.enum(['desc', 'asc']).default('desc').describe('eventTime order; newest first by default'),
  pageSize: z.int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).max(65536).optional().describe('opaque cursor from the previous page'),
  includeRaw: z.boolean().default(false).describe('include the record exactly as delivered'),
});

export type SearchRequest = z.output<typeof SearchRequestSchema>;
export type SearchRequestInput = z.input<typeof SearchRequestSchema>;

/** Parses untrusted input; throws VALIDATION_FAILED naming the first offending field. */
export function parseSearchRequest(input: unknown): SearchRequest {
  const parsed = SearchRequestSchema.safeParse(input);
  if (!parsed.success) throw validationErrorFrom(parsed.error, 'search request');
  return parsed.data;
}
