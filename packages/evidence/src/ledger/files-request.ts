import { z } from 'zod';
import { FILE_STATUSES } from '@trailscope/indexer';
import { AccountId, Region, isTimeExpression, validationErrorFrom } from '@trailscope/query';

/** One below OpenSearch's default result window: a page asks for one more hit to know whether another follows. */
export const MAX_FILES_PAGE = 5000;

const list = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'must not be empty; omit the field instead').max(200, 'must have at most 200 values');
const TimeExpression = z.string().refine(isTimeExpression, 'must be ISO-8601 with a zone, a date, "now" or a duration such as 24h or 7d');

/** A listing of the file ledger: `GET /v1/files` and `trailscope files`. */
export const FilesRequestSchema = z.strictObject({
  accounts: list(AccountId).optional(),
  regions: list(Region).optional(),
  from: TimeExpression.optional().describe("files with an event at or after this time (a file without events: ingested at or after it)"),
  to: TimeExpression.optional().describe('files with an event at or before this time, inclusive to the millisecond'),
  statuses: list(z.enum(FILE_STATUSES)).optional().describe('indexed (every record accounted for), partial, failed'),
  bucket: z.string().min(1).max(255).optional(),
  pageSize: z.int().min(1).max(MAX_FILES_PAGE).default(1000),
  cursor: z.string().min(1).max(4096).optional(),
});
export type FilesRequest = z.output<typeof FilesRequestSchema>;

export function parseFilesRequest(input: unknown): FilesRequest {
  const parsed = FilesRequestSchema.safeParse(input);
  if (!parsed.success) throw validationErrorFrom(parsed.error, 'files request');
  return parsed.data;
}
