import type { OpenSearchClient } from '@trailscope/runtime';
import type { Names } from '@trailscope/model';
import type { SearchFilters } from './search-filters';
import type { Scope } from './scope';
import { toDsl } from './to-dsl';
import { toOpenSearchError } from '@trailscope/runtime';

/** Exact number of events matching the filters within the scope. */
export async function count(
  client: OpenSearchClient,
  names: Pick<Names, 'eventsAlias'>,
  filters: SearchFilters,
  scope: Scope,
  options: { nowMs?: number } = {},
): Promise<number> {
  const query = toDsl(filters, scope, { nowMs: options.nowMs ?? Date.now() });
  try {
    const res = await client.count({
      index: [names.eventsAlias],
      body: { query } as never,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    return (res.body as { count: number }).count;
  } catch (err) {
    throw toOpenSearchError(err, 'count', { callerQuery: true, target: names.eventsAlias });
  }
}
