/**
 * What happened to one bulk item, as data:
 * - created: stored;
 * - duplicate: a document with this _id exists (409 on `create`), the replay of an event already indexed;
 * - retry: the cluster is throttling or failing (429, 5xx, 408, a write block), try again later;
 * - deadletter: this document will never index (mapping/parse errors, 400-class), keep it aside with the reason;
 * - fatal: the request cannot succeed for any document (e.g. a missing index that may not be auto-created).
 */
export type BulkOutcome =
  | { kind: 'created' }
  | { kind: 'duplicate' }
  | { kind: 'retry'; status: number; reason: string }
  | { kind: 'deadletter'; status: number; type: string; reason: string }
  | { kind: 'fatal'; status: number; type: string; reason: string };

interface BulkItemError {
  type?: unknown;
  reason?: unknown;
  caused_by?: { type?: unknown; reason?: unknown };
}

interface BulkItemResult {
  status?: unknown;
  error?: BulkItemError | string;
}

export interface BulkResponseBody {
  errors?: unknown;
  items?: Array<Record<string, BulkItemResult | undefined>>;
}

/** Reasons quote the offending value; keep them readable in the dead-letter index and logs. */
const MAX_REASON_CHARS = 2000;

function reasonOf(error: BulkItemError | string | undefined): { type: string; reason: string } {
  if (typeof error === 'string') return { type: 'error', reason: error.slice(0, MAX_REASON_CHARS) };
  const type = typeof error?.type === 'string' ? error.type : 'unknown_error';
  let reason = typeof error?.reason === 'string' ? error.reason : '';
  const cause = error?.caused_by;
  if (cause && typeof cause.reason === 'string' && !reason.includes(cause.reason)) {
    reason = `${reason}${reason ? ': ' : ''}${typeof cause.type === 'string' ? `${cause.type}: ` : ''}${cause.reason}`;
  }
  return { type, reason: `${type}: ${reason}`.slice(0, MAX_REASON_CHARS) };
}

/** Classifies one item of a bulk response (pure). */
export function classifyBulkItem(item: BulkItemResult | undefined): BulkOutcome {
  const status = typeof item?.status === 'number' ? item.status : 0;
  if (status >= 200 && status < 300 && !item?.error) return { kind: 'created' };
  const { type, reason } = reasonOf(item?.error);
  if (status === 409) return { kind: 'duplicate' };
  if (status === 429 || status === 408 || status >= 500 || status === 0) return { kind: 'retry', status, reason };
  // A write block (read-only index, disk flood stage) lifts once an operator frees space: wait, do not discard.
  if (type === 'cluster_block_exception') return { kind: 'retry', status, reason };
  if (status === 404) return { kind: 'fatal', status, type, reason };
  return { kind: 'deadletter', status, type, reason };
}

/**
 * The outcome of each of `count` items sent, in request order. A response whose item count differs cannot be
 * matched to the documents, so every item is retried (creates are idempotent).
 */
export function classifyBulkResponse(body: BulkResponseBody, count: number): BulkOutcome[] {
  const items = Array.isArray(body.items) ? body.items : [];
  if (body.errors === false && items.length === count) return new Array<BulkOutcome>(count).fill({ kind: 'created' });
  if (items.length !== count) {
    const outcome: BulkOutcome = { kind: 'retry', status: 0, reason: `bulk response has ${items.length} items for ${count} sent` };
    return new Array<BulkOutcome>(count).fill(outcome);
  }
  return items.map((entry) => {
    const op = entry.create ?? entry.index ?? Object.values(entry)[0];
    return classifyBulkItem(op);
  });
}
