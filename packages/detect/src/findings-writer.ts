import { TrailscopeError } from '@trailscope/model';
import { errorFacts, isTransient, sleep, toOpenSearchError, type Config, type OpenSearchClient } from '@trailscope/runtime';
import type { FindingDoc } from './finding';

/**
 * One write to the findings index:
 * - create: keeps the first copy (single-event and new-terms findings: replays change nothing);
 * - upsert: creates, or refreshes the counts of an existing finding without touching its status (correlations, whose
 *   window may gain events after it fired);
 * - update: changes fields of an existing finding, ignored when it does not exist.
 */
export type FindingWrite =
  | { op: 'create'; doc: FindingDoc }
  | { op: 'upsert'; doc: FindingDoc; refresh: Partial<FindingDoc> }
  | { op: 'update'; id: string; fields: Partial<FindingDoc> };

export interface FindingsWriteResult {
  created: number;
  existing: number;
  updated: number;
}

export interface FindingsWriterOptions {
  /** Asked of the last request only: its refresh covers every write acknowledged before it. */
  refresh?: boolean | 'wait_for';
  /** How long transient failures are retried before OPENSEARCH_UNAVAILABLE. */
  maxRetryMs?: number;
  chunk?: number;
}

interface BulkItem {
  status?: number;
  result?: string;
  error?: { type?: string; reason?: string };
}

function lines(w: FindingWrite, index: string): string[] {
  switch (w.op) {
    case 'create':
      return [JSON.stringify({ create: { _index: index, _id: w.doc.id } }), JSON.stringify(w.doc)];
    case 'upsert':
      return [JSON.stringify({ update: { _index: index, _id: w.doc.id, retry_on_conflict: 3 } }), JSON.stringify({ doc: w.refresh, upsert: w.doc })];
    case 'update':
      return [JSON.stringify({ update: { _index: index, _id: w.id, retry_on_conflict: 3 } }), JSON.stringify({ doc: w.fields })];
  }
}

/**
 * Writes findings with `_bulk`, retrying throttled or failing items with backoff. Resolves only when every write is
 * acknowledged, so a caller that then records progress (a pending file removed) never loses a finding.
 */
export async function writeFindings(
  client: OpenSearchClient,
  config: Pick<Config, 'names'>,
  writes: FindingWrite[],
  options: FindingsWriterOptions = {},
): Promise<FindingsWriteResult> {
  const index = config.names.findingsIndex;
  const result: FindingsWriteResult = { created: 0, existing: 0, updated: 0 };
  const chunk = options.chunk ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 5 * 60_000;
  for (let start = 0; start < writes.length; start += chunk) {
    let todo = writes.slice(start, start + chunk);
    const began = Date.now();
    for (let attempt = 1; todo.length > 0; attempt++) {
      const body = `${todo.flatMap((w) => lines(w, index)).join('\n')}\n`;
      let items: Array<Record<string, BulkItem>> = [];
      let failure: unknown;
      try {
        // a refresh makes every write acknowledged before it searchable, so only the last chunk asks for one: with
        // wait_for on every chunk each waited out the index's refresh interval (a second per 500 findings)
        const last = start + chunk >= writes.length;
        const refresh = last && options.refresh !== undefined ? (String(options.refresh) as 'true') : undefined;
        const res = await client.bulk({ body: body as never, refresh });
        items = ((res.body as { items?: Array<Record<string, BulkItem>> }).items ?? []);
      } catch (err) {
        if (!isTransient(errorFacts(err))) throw toOpenSearchError(err, `writing findings to ${index}`);
        failure = err;
      }
      const retry: FindingWrite[] = [];
      if (failure !== undefined || items.length !== todo.length) retry.push(...todo);
      else {
        todo.forEach((w, i) => {
          const item = Object.values(items[i] ?? {})[0] ?? {};
          const status = item.status ?? 0;
          if (status >= 200 && status < 300) {
            if (w.op === 'create' || item.result === 'created') result.created++;
            else result.updated++;
          } else if (status === 409 && w.op === 'create') result.existing++;
          else if (status === 404 && w.op === 'update') {
            // the finding to update is gone (retention): nothing to change
          } else if (status === 429 || status >= 500 || status === 409) retry.push(w);
          else {
            throw new TrailscopeError('OPENSEARCH_REJECTED', `OpenSearch refused finding ${w.op === 'update' ? w.id : w.doc.id} in ${index}: ${item.error?.type ?? status}: ${item.error?.reason ?? ''}`, {
              context: { index, status },
            });
          }
        });
      }
      todo = retry;
      if (todo.length === 0) break;
      if (Date.now() - began > maxRetryMs) {
        throw new TrailscopeError('OPENSEARCH_UNAVAILABLE', `writing ${todo.length} finding(s) to ${index} kept failing for ${maxRetryMs} ms`, { cause: failure, context: { index } });
      }
      await sleep(Math.min(10_000, 200 * 2 ** Math.min(attempt, 6)));
    }
  }
  return result;
}
