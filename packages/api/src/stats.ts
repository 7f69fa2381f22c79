import { FIELDS, type Names } from '@trailscope/model';
import type { OpenSearchClient } from '@trailscope/runtime';
import { toOpenSearchError } from '@trailscope/runtime';

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface Stats {
  at: string;
  events: { total: number; newestEventTime?: string; newestIngestedAt?: string };
  /** now - newest eventTime indexed: how far behind real time the searchable data is. */
  ingestLagMs?: number;
  /** now - newest ingest.ingestedAt: how long since anything was indexed. */
  sinceLastIngestMs?: number;
  queue: (QueueCounts & { depth: number }) | { error: string };
  failedFiles?: number;
  indices: Array<{ index: string; docs: number; bytes: number }>;
  totalBytes: number;
}

/** Redis commands wait for a reconnect indefinitely (maxRetriesPerRequest: null); stats must answer anyway. */
const QUEUE_TIMEOUT_MS = 3000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Ingest lag and index sizes from OpenSearch, queue depth and failed files from the ingest queue. */
export async function gatherStats(
  client: OpenSearchClient,
  names: Pick<Names, 'eventsAlias' | 'eventIndexPattern'>,
  queueCounts: (() => Promise<QueueCounts>) | undefined,
  nowMs = Date.now(),
): Promise<Stats> {
  const queuePromise: Promise<Stats['queue']> = queueCounts
    ? withTimeout(queueCounts(), QUEUE_TIMEOUT_MS).then(
        (c) => ({ ...c, depth: c.waiting + c.active + c.delayed }),
        (err: unknown) => ({ error: `queue unavailable: ${err instanceof Error ? err.message : String(err)}` }),
      )
    : Promise.resolve({ error: 'queue not configured' });
  let newest: { hits: { total?: { value: number } }; aggregations?: Record<string, { value?: number | null; value_as_string?: string }> };
  let cat: Array<Record<string, string>>;
  try {
    const [search, indices] = await Promise.all([
      client.search({
        index: names.eventsAlias,
        body: { size: 0, track_total_hits: true, aggs: { eventTime: { max: { field: FIELDS.eventTime } }, ingestedAt: { max: { field: FIELDS.ingestedAt } } } } as never,
        ignore_unavailable: true,
        allow_no_indices: true,
      }),
      client.cat.indices({ index: [names.eventIndexPattern], format: 'json', bytes: 'b' } as never, { ignore: [404] }),
    ]);
    newest = search.body as unknown as typeof newest;
    cat = Array.isArray(indices.body) ? (indices.body as Array<Record<string, string>>) : [];
  } catch (err) {
    throw toOpenSearchError(err, 'stats', { target: names.eventsAlias });
  }
  const iso = (ms: number | null | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString() : undefined);
  const eventMs = newest.aggregations?.eventTime?.value ?? undefined;
  const ingestMs = newest.aggregations?.ingestedAt?.value ?? undefined;
  const indices = cat
    .map((r) => ({ index: r.index ?? '', docs: Number(r['docs.count'] ?? 0), bytes: Number(r['store.size'] ?? 0) }))
    .sort((a, b) => a.index.localeCompare(b.index));
  const queue = await queuePromise;
  const stats: Stats = {
    at: new Date(nowMs).toISOString(),
    events: { total: newest.hits.total?.value ?? 0, newestEventTime: iso(eventMs), newestIngestedAt: iso(ingestMs) },
    queue,
    indices,
    totalBytes: indices.reduce((n, i) => n + i.bytes, 0),
  };
  if (typeof eventMs === 'number') stats.ingestLagMs = nowMs - eventMs;
  if (typeof ingestMs === 'number') stats.sinceLastIngestMs = nowMs - ingestMs;
  if (!('error' in queue)) stats.failedFiles = queue.failed;
  return stats;
}
