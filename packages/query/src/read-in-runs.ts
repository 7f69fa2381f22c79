import { FIELDS } from '@trailscope/model';

/**
 * A page split into more runs of consecutive documents than this, or into shorter ones on average, is read in one
 * request: for the scattered events of a selective query the runs would cost more requests than they save.
 */
const MAX_RUNS_PER_PAGE = 16;
const MIN_MEAN_RUN = 32;
/** Not below any Lucene document number (an int: the largest one). */
const AFTER_EVERY_DOC = 2 ** 31 - 1;

type SortValues = unknown[];

export interface RunHit {
  _id: string;
  _index?: string;
  _source?: Record<string, unknown>;
  sort?: SortValues;
  fields?: Record<string, unknown[]>;
}

export interface RunPageBody {
  hits: { hits: RunHit[] };
}

/**
 * Reads one page of a search sorted by (eventTime, id) in two steps, inside the caller's point in time (`send` adds
 * it): the page's order (its sort values and Lucene document numbers, no stored fields), then its `_source` by runs
 * of consecutive document numbers of one index, each run one request in document order. Event indices store
 * records compressed in large blocks, and OpenSearch reads a page's stored fields in one pass only when the page's
 * documents are consecutive; a page in time order over an index of several segments never is, and then costs a
 * block's decompression per event (a page of 2,000 took 250-300 ms against 20-60 ms for the same events in
 * document order). Each run's events are checked against the order by their id.
 *
 * `body` is the page as one request would ask for it (query, a two-key sort, size, `_source`, optional
 * search_after `after` and timeout). Undefined when the page does not lend itself to it (hits without an id, many
 * or short runs, a run that came back different, as with indices of several shards): the caller then sends `body`.
 */
export async function readPageInRuns<B extends RunPageBody>(send: (body: Record<string, unknown>) => Promise<B>, body: Record<string, unknown>, after: SortValues | undefined): Promise<B | undefined> {
  const sort = body.sort as unknown[];
  if (!Array.isArray(sort) || sort.length !== 2) return undefined;
  const orderBody: Record<string, unknown> = { ...body, sort: [...sort, '_doc'], _source: false, stored_fields: '_none_' };
  // (eventTime, id) is unique, so the position's document number only has to be past every real one
  if (after) orderBody.search_after = [...after, AFTER_EVERY_DOC];
  const order = await send(orderBody);
  const hits = order.hits.hits;
  if (hits.length === 0) return order;
  const byIndex = new Map<string, number[]>();
  for (const h of hits) {
    const doc = h.sort?.[2];
    if (typeof h.sort?.[1] !== 'string' || typeof doc !== 'number' || typeof h._index !== 'string') return undefined;
    const list = byIndex.get(h._index);
    if (list) list.push(doc);
    else byIndex.set(h._index, [doc]);
  }
  const runs: Array<{ index: string; first: number; count: number }> = [];
  for (const [index, docs] of byIndex) {
    docs.sort((a, b) => a - b);
    let run: { index: string; first: number; count: number } | undefined;
    for (const d of docs) {
      if (run && d === run.first + run.count) run.count += 1;
      else runs.push((run = { index, first: d, count: 1 }));
    }
  }
  if (runs.length > MAX_RUNS_PER_PAGE || hits.length < runs.length * MIN_MEAN_RUN) return undefined;
  const timeout = body.timeout === undefined ? {} : { timeout: body.timeout };
  const pages = await Promise.all(
    runs.map((r) =>
      send({
        query: { bool: { filter: [body.query, { term: { _index: r.index } }] } },
        sort: ['_doc'],
        search_after: [r.first - 1],
        size: r.count,
        track_total_hits: false,
        _source: body._source,
        docvalue_fields: [FIELDS.id],
        ...timeout,
      }),
    ),
  );
  const key = (index: string, doc: number) => `${index}\u0000${doc}`;
  const found = new Map<string, RunHit>();
  for (const [i, page] of pages.entries()) {
    const r = runs[i]!;
    for (const h of page.hits.hits) {
      const d = h.sort?.[0];
      if (h._index === r.index && typeof d === 'number') found.set(key(r.index, d), h);
    }
  }
  const out: RunHit[] = [];
  for (const h of hits) {
    const got = found.get(key(h._index!, h.sort![2] as number));
    if (!got || got.fields?.[FIELDS.id]?.[0] !== h.sort![1]) return undefined;
    out.push({ _id: h._id, _index: h._index, _source: got._source ?? {}, sort: h.sort!.slice(0, 2) });
  }
  return { ...order, hits: { ...order.hits, hits: out } };
}
