import type { ErrorCode } from '@trailscope/model';
import type { IngestQueue } from './ingest-queue';
import { parseFailure } from './failure-reason';

export interface FailedFile {
  jobId: string;
  bucket: string;
  key: string;
  etag: string;
  code: ErrorCode;
  message: string;
  attempts: number;
  failedAt?: string;
}

/** Failed ingest jobs, newest first, read in pages so that a long list never loads at once. */
export async function* listFailed(queue: IngestQueue, pageSize = 500): AsyncGenerator<FailedFile> {
  for (let start = 0; ; start += pageSize) {
    const jobs = await queue.getFailed(start, start + pageSize - 1);
    for (const job of jobs) {
      if (!job) continue;
      const { code, message } = parseFailure(job.failedReason);
      const data = (job.data ?? {}) as Partial<{ bucket: string; key: string; etag: string }>;
      yield {
        jobId: job.id ?? '',
        bucket: data.bucket ?? '',
        key: data.key ?? '',
        etag: data.etag ?? '',
        code,
        message,
        attempts: job.attemptsMade,
        failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
      };
    }
    if (jobs.length < pageSize) return;
  }
}

/** Moves every failed job back to waiting with fresh attempts; returns how many. */
export async function retryFailed(queue: IngestQueue): Promise<number> {
  const ids: string[] = [];
  for await (const f of listFailed(queue)) ids.push(f.jobId);
  let n = 0;
  for (const id of ids) {
    const job = await queue.getJob(id);
    if (!job) continue;
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    n += 1;
  }
  return n;
}
