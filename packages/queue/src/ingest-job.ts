import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';

/** What one ingest job carries: the identity of one log file and what its key says about it. */
export const IngestJobSchema = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  etag: z.string(),
  size: z.number().int().min(0),
  kind: z.enum(['log', 'insight']),
  account: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  orgId: z.string().optional(),
  /**
   * false: queued by a backfill without `--alert`, so live detection records the file's findings and pages nobody.
   * Absent (poll, and jobs queued before the flag existed): the file's findings alert.
   */
  alert: z.boolean().optional(),
});

export type IngestJobData = z.infer<typeof IngestJobSchema>;

/** Job data read back from Redis is a boundary: parse it once, then trust the type. */
export function parseIngestJob(data: unknown, jobId?: string): IngestJobData {
  const parsed = IngestJobSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TrailscopeError(
      'VALIDATION_FAILED',
      `ingest job ${jobId ?? '?'} has invalid data: ${issue?.path.join('.') || 'data'}: ${issue?.message ?? 'invalid'}`,
      { context: { jobId } },
    );
  }
  return parsed.data;
}
