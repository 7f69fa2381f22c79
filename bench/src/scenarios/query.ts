import { aggregate, parseAggregationRequest, parseSearchRequest, releaseCursor as releasePit, search, UNRESTRICTED, type SearchRequest } from '@trailscope/query';
import { createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import type { Scenario } from '../bench-context';
import { fmtInt, fmtNum, round } from '../format';
import { percentile } from '../percentile';
import { waitForMerges } from '../namespace-admin';
import type { IngestedNamespace } from './ingest';

const P95_GOAL_MS = 50;
const WARMUP = 5;

interface QueryCase {
  name: string;
  what: string;
  /**
   * The i-th variant: varied across repetitions so no answer is served from a cache the previous one filled.
   * Resolves with the number of results and, apart from the timing, what to release afterwards.
   */
  run(i: number): Promise<{ n: number; release?: () => Promise<void> }>;
}

const DIAGNOSTIC_WHAT: Record<string, string> = {
  'open PIT': 'opening a point in time on the read alias, as every first page does (request alone)',
  'first page, plain search': 'one account + day, newest 50, exact total, no point in time (request alone)',
  'deep page, exact total': 'a page after the deep-page start with track_total_hits: true, as a cursor page whose point in time expired does (request alone)',
  'deep page, no total': 'the same pages with track_total_hits: false, as cursor pages in their point in time do (request alone)',
};

async function diagnostics(client: OpenSearchClient, index: string, reps: number, skip: number, pageSize: number): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = { 'open PIT': [], 'first page, plain search': [], 'deep page, exact total': [], 'deep page, no total': [] };
  const time = async (name: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    const r = await fn();
    out[name]?.push(performance.now() - t0);
    return r;
  };
  // the package's newest-first order (eventTime, then id, both descending), which the index sort matches
  const sort = [{ eventTime: 'desc' }, { id: 'desc' }];
  for (let i = 0; i < reps; i += 1) {
    const res = (await time('open PIT', () => client.createPit({ index: [index], keep_alive: '1m' }))) as { body: { pit_id: string } };
    await client.deletePit({ body: { pit_id: [res.body.pit_id] } });
    const day = `2026-03-0${1 + (i % 5)}`;
    const query = { bool: { filter: [{ range: { eventTime: { gte: `${day}T00:00:00Z`, lte: `${day}T23:59:59.999Z` } } }] } };
    await time('first page, plain search', () => client.search({ index, body: { query, size: 51, sort, track_total_hits: true, _source: { excludes: ['raw'] } } as never }));
  }
  const pit = (await client.createPit({ index: [index], keep_alive: '5m' })).body.pit_id;
  try {
    let after: unknown[] | undefined;
    for (let i = 0; i < skip + reps; i += 1) {
      const exact = i % 2 === 0;
      const body: Record<string, unknown> = { size: pageSize, sort, track_total_hits: exact, _source: { excludes: ['raw'] }, pit: { id: pit, keep_alive: '5m' } };
      if (after) body.search_after = after;
      const t0 = performance.now();
      const res = await client.search({ body: body as never });
      const ms = performance.now() - t0;
      if (i >= skip) out[exact ? 'deep page, exact total' : 'deep page, no total']?.push(ms);
      const hits = (res.body as { hits: { hits: Array<{ sort?: unknown[] }> } }).hits.hits;
      after = hits[hits.length - 1]?.sort;
      if (!after) break;
    }
  } finally {
    await client.deletePit({ body: { pit_id: [pit] } }).catch(() => undefined);
  }
  return out;
}

export const queryScenario: Scenario = {
  id: 'query',
  title: 'query latency over the ingested events',
  async run(ctx, out) {
    const ingested = ctx.shared.get('ingested') as IngestedNamespace | undefined;
    if (!ingested) throw new Error('needs the ingest scenario: no ingested namespace to query');
    const { config, dataset } = ingested;
    const client = createOpenSearchClient(config);
    const names = config.names;
    const reps = ctx.options.sizes.queryRepetitions;
    const accounts = [...dataset.spec.accounts, ...dataset.spec.orgAccounts];
    const days = dataset.spec.days;
    const users = ['alice', 'bob', 'carol', 'ci-deployer', 'security-audit'];
    const cidrs = ['10.0.0.0/8', '198.0.0.0/8', '203.0.0.0/9', '192.0.0.0/10'];
    const pick = <T>(xs: readonly T[], i: number) => xs[i % xs.length] as T;
    // A cursor holds a point in time once its second page opened one; a caller that never pages on leaves it to
    // expire. Released here outside the timing, or the deep-page run would leave one behind.
    const releaseCursor = (req: SearchRequest, cursor: string | undefined) => async () => {
      if (cursor) await releasePit(client, names, { ...req, cursor }, UNRESTRICTED);
    };
    const page = async (input: unknown) => {
      const req = parseSearchRequest(input);
      const res = await search(client, names, req, UNRESTRICTED);
      return { n: res.events.length, release: releaseCursor(req, res.cursor) };
    };

    const cases: QueryCase[] = [
      {
        name: 'by account + time',
        what: 'one account, one day, newest 50',
        run: (i) => page({ accounts: [pick(accounts, i)], from: `${pick(days, i >> 2)}T00:00:00Z`, to: `${pick(days, i >> 2)}T23:59:59.999Z`, pageSize: 50 }),
      },
      {
        name: 'by principal',
        what: 'one IAM user ARN, newest 50',
        run: (i) => page({ principalArns: [`arn:aws:iam::${pick(accounts, i)}:user/${pick(users, i >> 2)}`], pageSize: 50 }),
      },
      {
        name: 'errors only',
        what: 'failed calls of one region over the whole range, newest 50',
        run: (i) => page({ errorsOnly: true, regions: [pick(dataset.spec.regions, i)], pageSize: 50 }),
      },
      {
        name: 'CIDR',
        what: 'source IP within a CIDR block, newest 50',
        run: (i) => page({ sourceIps: [pick(cidrs, i)], pageSize: 50 }),
      },
      {
        name: 'aggregation top-N',
        what: 'top 10 principals calling DeleteBucket, per account, over 7 days',
        run: async (i) => {
          // a different end second per repetition: size-0 searches are otherwise answered from the request cache
          const to = new Date(Date.parse(`${days[days.length - 1]}T23:59:59Z`) - i * 1000).toISOString();
          const req = parseAggregationRequest({
            eventNames: ['DeleteBucket'],
            from: new Date(Date.parse(to) - 7 * 86_400_000).toISOString(),
            to,
            aggs: { accounts: { type: 'terms', field: 'account', size: 10, aggs: { principals: { type: 'terms', field: 'userIdentity.arn', size: 10 } } } },
          });
          const res = await aggregate(client, names, req, UNRESTRICTED);
          return { n: res.total };
        },
      },
    ];

    // steady state: the merges an ingest leaves running would otherwise land on some timings and not others
    const merged = await waitForMerges(client, config);
    if (!merged) out.notes.push('Merges were still running on the event indices when the timings started (waited 3 minutes).');
    const timings: Record<string, number[]> = {};
    const time = async (fn: () => Promise<{ n: number; release?: () => Promise<void> }>) => {
      const t0 = performance.now();
      const r = await fn();
      const ms = performance.now() - t0;
      await r.release?.();
      return { ms, n: r.n };
    };
    try {
      for (const c of cases) {
        for (let i = 0; i < WARMUP; i += 1) await time(() => c.run(1000 + i));
        const samples: number[] = [];
        let results = 0;
        for (let i = 0; i < reps; i += 1) {
          const r = await time(() => c.run(i));
          samples.push(r.ms);
          results += r.n;
        }
        if (results === 0) throw new Error(`query "${c.name}" matched nothing in ${reps} runs: the data set or the query is wrong`);
        timings[c.name] = samples;
      }

      // deep page: follow cursors far into a full-range, newest-first listing, then time the pages there
      const skip = ctx.options.sizes.deepPageSkipPages;
      const pageSize = 100;
      let cursor: string | undefined;
      for (let i = 0; i < skip; i += 1) {
        const res = await search(client, names, parseSearchRequest({ pageSize, ...(cursor ? { cursor } : {}) }), UNRESTRICTED);
        cursor = res.cursor;
        if (!cursor) throw new Error(`deep page: the listing ended after ${i + 1} pages`);
      }
      const deep: number[] = [];
      for (let i = 0; i < reps && cursor; i += 1) {
        const t0 = performance.now();
        const res = await search(client, names, parseSearchRequest({ pageSize, cursor }), UNRESTRICTED);
        deep.push(performance.now() - t0);
        cursor = res.cursor;
      }
      timings['deep page'] = deep;
      if (cursor) await releaseCursor(parseSearchRequest({ pageSize }), cursor)();
      cases.push({ name: 'deep page', what: `next page of 100 through a cursor after ${fmtInt(skip * pageSize)} events (point in time + search_after)`, run: async () => ({ n: 0 }) });
      // Where the time goes, measured with direct requests beside the package calls above: opening the point in time
      // a first page opens, and counting every match (track_total_hits) on each deep page.
      const diag = await diagnostics(client, names.eventsAlias, reps, skip, pageSize);
      out.figures.diagnostics = diag;
      for (const [name, samples] of Object.entries(diag)) timings[`diagnostic: ${name}`] = samples;
    } finally {
      await client.close();
    }

    out.data = { 'events in the index': ingested.events, 'timed runs per query': reps, 'warm-up runs per query': WARMUP, 'deep page starts after events': ctx.options.sizes.deepPageSkipPages * 100 };
    out.method.push(
      `The events the ingest scenario indexed through our pipeline (namespace ${ingested.namespace}), queried through the read alias with packages/query \`search\` / \`aggregate\` exactly as the CLI and HTTP API call them; latency is measured in the bench process around each call (DSL building, HTTP, response mapping), one query at a time.`,
      `Each query runs ${WARMUP} warm-up times, then ${reps} timed times with varying parameters (accounts, days, users, CIDR blocks, end second), so that no answer comes from OpenSearch's request cache.`,
      'Indices are not force-merged (the storage scenario does that afterwards): latencies are those of a freshly ingested index, measured once its background merges have finished.',
    );
    const figures: Record<string, unknown> = { ...out.figures };
    for (const name of Object.keys(timings).filter((n) => n.startsWith('diagnostic: '))) {
      cases.push({ name, what: DIAGNOSTIC_WHAT[name.slice('diagnostic: '.length)] ?? name, run: async () => ({ n: 0 }) });
    }
    for (const c of cases) {
      const s = timings[c.name] ?? [];
      const p50 = percentile(s, 50);
      const p95 = percentile(s, 95);
      figures[c.name] = { what: c.what, p50Ms: round(p50), p95Ms: round(p95), maxMs: round(Math.max(...s)), samplesMs: s.map((x) => round(x, 2)) };
      const diagnostic = c.name.startsWith('diagnostic: ');
      out.rows.push({
        scenario: 'query',
        name: `${c.name}: ${c.what}`,
        ours: { value: p95, unit: 'ms', text: `p50 ${fmtNum(p50)} ms, p95 ${fmtNum(p95)} ms` },
        goal: diagnostic ? 'diagnostic (where the time goes)' : `p95 ≤ ${P95_GOAL_MS} ms`,
        met: diagnostic ? null : p95 <= P95_GOAL_MS,
      });
    }
    out.figures = figures;
  },
};
