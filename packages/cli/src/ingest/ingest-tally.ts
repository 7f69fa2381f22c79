import type { ErrorCode } from '@trailscope/model';
import type { PassStats } from '@trailscope/poller';
import { mergeSkips, type SkipCounts } from '@trailscope/s3';
import type { FileResult } from '@trailscope/worker';

/** Running totals of a backfill across its passes and its in-process workers; becomes the JSON summary. */
export class IngestTally {
  partitions = 0;
  filesListed = 0;
  filesQueued = 0;
  filesAlreadyIndexed = 0;
  filesIndexed = 0;
  eventsIndexed = 0;
  duplicates = 0;
  deadLettered = 0;
  conflicts = 0;
  retriedAttempts = 0;
  skipped: SkipCounts = {};
  listingErrors = 0;
  /** Failed files by key: their error code, or `previously-failed` for a job that had failed before this run. */
  private readonly failedKeys = new Map<string, ErrorCode | 'previously-failed'>();
  private readonly started = Date.now();

  addPass(p: PassStats): void {
    this.partitions += p.partitions;
    this.filesListed += p.filesListed;
    this.filesQueued += p.filesQueued + p.filesAdopted;
    this.filesAlreadyIndexed += p.filesAlreadyIndexed;
    mergeSkips(this.skipped, p.skipped);
    this.listingErrors += p.listingErrors.length;
    for (const f of p.previouslyFailed) if (!this.failedKeys.has(f.key)) this.failedKeys.set(f.key, 'previously-failed');
  }

  completed(result: FileResult): void {
    if (result.alreadyIndexed) {
      this.filesAlreadyIndexed += 1;
      return;
    }
    this.filesIndexed += 1;
    this.eventsIndexed += result.events;
    this.duplicates += result.duplicates;
    this.deadLettered += result.deadLettered;
    this.conflicts += result.conflicts;
  }

  failed(key: string | undefined, code: ErrorCode, final: boolean): void {
    if (final) this.failedKeys.set(key ?? `#unknown-${this.failedKeys.size}`, code);
    else this.retriedAttempts += 1;
  }

  get filesFailed(): number {
    return this.failedKeys.size;
  }

  get elapsedMs(): number {
    return Date.now() - this.started;
  }

  summary(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const failedByCode: Record<string, number> = {};
    for (const code of this.failedKeys.values()) failedByCode[code] = (failedByCode[code] ?? 0) + 1;
    return {
      filesQueued: this.filesQueued,
      filesIndexed: this.filesIndexed,
      filesFailed: this.filesFailed,
      eventsIndexed: this.eventsIndexed,
      filesAlreadyIndexed: this.filesAlreadyIndexed,
      filesListed: this.filesListed,
      duplicates: this.duplicates,
      deadLettered: this.deadLettered,
      conflicts: this.conflicts,
      skipped: this.skipped,
      failedByCode,
      retriedAttempts: this.retriedAttempts,
      partitions: this.partitions,
      listingErrors: this.listingErrors,
      durationMs: this.elapsedMs,
      ...extra,
    };
  }
}
