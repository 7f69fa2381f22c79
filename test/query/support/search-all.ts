import { parseSearchRequest, search, type Scope, type SearchRequestInput, type TypedEvent } from '@trailscope/query';
import type { SeededStore } from './seed';

/** Every event matching a request, following cursors; also returns the page count, the first total and every page's total. */
export async function searchAll(
  store: SeededStore,
  input: SearchRequestInput,
  scope: Scope = {},
  options: { nowMs?: number; onPage?: (page: number) => Promise<void> } = {},
): Promise<{ events: TypedEvent[]; pages: number; total: number; totals: number[] }> {
  const events: TypedEvent[] = [];
  let cursor: string | undefined;
  let pages = 0;
  let total = -1;
  const totals: number[] = [];
  do {
    const res = await search(store.client, store.config.names, parseSearchRequest({ pageSize: 1000, ...input, cursor }), scope, { nowMs: options.nowMs });
    pages += 1;
    if (total < 0) total = res.total;
    totals.push(res.total);
    events.push(...res.events);
    cursor = res.cursor;
    if (cursor && options.onPage) await options.onPage(pages);
  } while (cursor);
  return { events, pages, total, totals };
}

export const idsOf = (events: TypedEvent[]) => events.map((e) => e.id).sort();
