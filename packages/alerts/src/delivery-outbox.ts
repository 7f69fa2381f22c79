import type { Names } from '@trailscope/model';
import { toOpenSearchError, type Logger, type OpenSearchClient } from '@trailscope/runtime';
import { addAlertJobs, alertsInJob, type AlertJob, type AlertQueue } from '@trailscope/queue';
import { alertsIndex, installAlertsIndex } from './alerts-store';

/**
 * Every alert job (one alert, or a pass's alerts for a destination) is also written to OpenSearch before it is
 * queued, marked when dead-lettered and deleted when sent.
 * Redis is the fast path; this record is what survives a Redis without persistence: a sender re-queues (same job id)
 * the jobs still marked queued that its queue no longer holds.
 */
export interface OutboxEntry {
  destination: string;
  job: AlertJob;
  dueMs: number;
}

const docId = (destination: string, jobId: string) => `d-${destination}-${jobId}`;

export async function recordQueued(client: OpenSearchClient, names: Pick<Names, 'namespace'>, entries: OutboxEntry[], now: Date, status: 'queued' | 'overflow' | 'failed' = 'queued'): Promise<void> {
  if (entries.length === 0) return;
  await installAlertsIndex(client, names);
  const index = alertsIndex(names);
  const body = entries.flatMap((e) => [
    JSON.stringify({ create: { _index: index, _id: docId(e.destination, e.job.jobId) } }),
    JSON.stringify({ kind: 'delivery', status, destination: e.destination, key: e.job.jobId, dueMs: e.dueMs, job: JSON.stringify(e.job.data), at: now.toISOString() }),
  ]);
  try {
    const res = await client.bulk({ body: `${body.join('\n')}\n` as never });
    const items = (res.body as { items?: Array<Record<string, { status?: number; error?: { type?: string } }>> }).items ?? [];
    const bad = items.map((i) => Object.values(i)[0]).find((i) => i && (i.status ?? 0) >= 300 && i.status !== 409);
    if (bad) throw new Error(`outbox write refused: ${bad.status} ${bad.error?.type ?? ''}`);
  } catch (err) {
    throw toOpenSearchError(err, `recording queued alerts in ${index}`);
  }
}

/** `refresh`: wait until searches see the mark (a listing right after `alerts failed --retry` must not show it). */
export async function markDelivery(client: OpenSearchClient, names: Pick<Names, 'namespace'>, destination: string, jobId: string, status: 'sent' | 'failed' | 'queued', logger?: Logger, refresh = false): Promise<void> {
  try {
    await client.update({ index: alertsIndex(names), id: docId(destination, jobId), body: { doc: { status, at: new Date().toISOString() } } as never, ...(refresh ? { refresh: 'wait_for' as const } : {}) }, { ignore: [404] });
  } catch (err) {
    // the job's own state in Redis still says it was sent; only a Redis loss on top of this would send it again
    logger?.warn({ err, destination, jobId }, 'could not record an alert delivery; it may be sent again after a Redis loss');
  }
}

/**
 * Marks of sent alerts, written in bulk (every `flushMs` or `maxBatch` marks) rather than one OpenSearch update per
 * alert, which bounded a sender to a few alerts a second on a busy cluster; a sent alert's record is deleted. A mark
 * lost to a crash costs nothing while Redis keeps the job's own completed state; only a Redis loss on top of it
 * would send that alert again, with the same idempotency key.
 */
export class DeliveryMarks {
  private pending = new Map<string, { destination: string; jobId: string; status: 'sent' | 'failed' | 'queued'; at: string }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: OpenSearchClient,
    private readonly names: Pick<Names, 'namespace'>,
    private readonly logger?: Logger,
    private readonly flushMs = 500,
    private readonly maxBatch = 500,
  ) {}

  add(destination: string, jobId: string, status: 'sent' | 'failed' | 'queued'): void {
    this.pending.set(docId(destination, jobId), { destination, jobId, status, at: new Date().toISOString() });
    if (this.pending.size >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.entries()];
    this.pending = new Map();
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      const index = alertsIndex(this.names);
      // a sent delivery's record has done its work: deleted, which costs the cluster far less than rewriting the
      // record (with its alert) to say so; what reconciliation looks for, records still marked queued, is the same
      const body = batch.flatMap(([id, m]) =>
        m.status === 'sent' ? [JSON.stringify({ delete: { _index: index, _id: id } })] : [JSON.stringify({ update: { _index: index, _id: id } }), JSON.stringify({ doc: { status: m.status, at: m.at } })],
      );
      try {
        const res = await this.client.bulk({ body: `${body.join('\n')}\n` as never });
        const items = (res.body as { items?: Array<Record<string, { status?: number }>> }).items ?? [];
        const bad = items.filter((i) => {
          const st = Object.values(i)[0]?.status ?? 0;
          return st >= 300 && st !== 404;
        }).length;
        if (bad > 0) this.logger?.warn({ marks: batch.length, refused: bad }, 'some alert deliveries could not be recorded; they may be sent again after a Redis loss');
      } catch (err) {
        this.logger?.warn({ err, marks: batch.length }, 'could not record alert deliveries; they may be sent again after a Redis loss');
      }
    });
    return this.flushing;
  }
}

// a record holds a job's alerts (up to a few hundred): read a few dozen at a time
const RECORDS_PER_PAGE = 50;

interface OutboxRecord {
  key: string;
  job: string;
  at: string;
}

/** A destination's delivery records of one status, oldest due first, a page at a time (at most `maxPages`). */
async function* outboxPages(client: OpenSearchClient, names: Pick<Names, 'namespace'>, destination: string, status: 'queued' | 'overflow', what: string, extra: object[] = [], maxPages = Infinity): AsyncGenerator<OutboxRecord[]> {
  let after: unknown[] | undefined;
  for (let page = 0; page < maxPages; page++) {
    let hits: Array<{ sort: unknown[]; _source: OutboxRecord }>;
    try {
      const res = await client.search(
        {
          index: alertsIndex(names),
          body: {
            size: RECORDS_PER_PAGE,
            _source: ['key', 'job', 'at'],
            query: { bool: { filter: [{ term: { kind: 'delivery' } }, { term: { status } }, { term: { destination } }, ...extra] } },
            sort: [{ dueMs: 'asc' }, { key: 'asc' }],
            ...(after ? { search_after: after } : {}),
          } as never,
        },
        { ignore: [404] },
      );
      hits = (res.body as { hits?: { hits: typeof hits } }).hits?.hits ?? [];
    } catch (err) {
      throw toOpenSearchError(err, `reading ${what} from ${alertsIndex(names)}`);
    }
    yield hits.map((h) => h._source);
    if (hits.length < RECORDS_PER_PAGE) return;
    after = hits[hits.length - 1]?.sort;
  }
}

/** Jobs marked queued, due more than `graceMs` ago, that `queue` no longer holds: added again. Returns how many. */
export async function requeueLost(client: OpenSearchClient, names: Pick<Names, 'namespace'>, destination: string, queue: AlertQueue, graceMs: number, nowMs = Date.now()): Promise<number> {
  let requeued = 0;
  for await (const records of outboxPages(client, names, destination, 'queued', 'queued alerts', [{ range: { dueMs: { lt: nowMs - graceMs } } }], 40)) {
    const lost: AlertJob[] = [];
    for (const r of records) if (!(await queue.getJob(r.key))) lost.push({ jobId: r.key, data: JSON.parse(r.job) as Record<string, unknown> });
    await addAlertJobs(queue, lost);
    requeued += lost.length;
  }
  return requeued;
}

export interface OverflowedAlert {
  destination: string;
  jobId: string;
  data: Record<string, unknown>;
  at: string;
}

/** Jobs not queued because their destination's queue was full (`delivery.maxQueued`), oldest first. */
export async function listOverflowed(client: OpenSearchClient, names: Pick<Names, 'namespace'>, destination: string): Promise<OverflowedAlert[]> {
  const out: OverflowedAlert[] = [];
  for await (const records of outboxPages(client, names, destination, 'overflow', 'overflowed alerts')) {
    for (const r of records) out.push({ destination, jobId: r.key, data: JSON.parse(r.job) as Record<string, unknown>, at: r.at });
  }
  return out;
}

/** Queues overflowed jobs of a destination again; returns how many alerts they hold. */
export async function requeueOverflowed(client: OpenSearchClient, names: Pick<Names, 'namespace'>, destination: string, queue: AlertQueue): Promise<number> {
  const list = await listOverflowed(client, names, destination);
  await addAlertJobs(queue, list.map((o) => ({ jobId: o.jobId, data: o.data })));
  for (const o of list) await markDelivery(client, names, destination, o.jobId, 'queued', undefined, true);
  return list.reduce((n, o) => n + alertsInJob(o.data), 0);
}
