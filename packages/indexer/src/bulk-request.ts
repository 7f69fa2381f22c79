import type { OpenSearchClient } from '@trailscope/runtime';
import { classifyBulkResponse, type BulkOutcome, type BulkResponseBody } from './bulk-outcome';
import { errorFacts, isTransient, toOpenSearchError } from '@trailscope/runtime';

const FILTER_PATH = [
  'errors',
  'items.*.status',
  'items.*.error.type',
  'items.*.error.reason',
  'items.*.error.caused_by.type',
  'items.*.error.caused_by.reason',
].join(',');

/** An answer to a request, or why there was none worth reading (a transient failure: try again later). */
export type Attempt<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Runs one request: a transient failure (no answer, 429, 5xx, a write block) comes back as a problem to retry,
 * any other failure is thrown as a TrailscopeError naming `what`.
 */
export async function attempt<T>(what: string, run: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    const facts = errorFacts(err);
    if (!isTransient(facts) && facts.type !== 'cluster_block_exception') throw toOpenSearchError(err, what);
    return { ok: false, problem: facts.connection ? `no answer: ${(err as Error).message}` : `HTTP ${facts.statusCode}: ${facts.reason ?? ''}` };
  }
}

/** One `_bulk` request of `count` items: the outcome of each, in request order. */
export function sendBulk(
  client: OpenSearchClient,
  body: string,
  count: number,
  refresh?: 'true' | 'false' | 'wait_for',
): Promise<Attempt<BulkOutcome[]>> {
  return attempt(`a bulk write of ${count} documents`, async () => {
    const res = await client.transport.request({
      method: 'POST',
      path: '/_bulk',
      querystring: { filter_path: FILTER_PATH, ...(refresh ? { refresh } : {}) },
      bulkBody: body,
    });
    return classifyBulkResponse(res.body as BulkResponseBody, count);
  });
}

/** One `_mget`: the docs of the response, in request order. */
export function sendMget(client: OpenSearchClient, path: string, body: Record<string, unknown>, what: string): Promise<Attempt<{ docs?: unknown[] }>> {
  return attempt(what, async () => {
    const res = await client.transport.request({ method: 'POST', path, body });
    return res.body as { docs?: unknown[] };
  });
}
