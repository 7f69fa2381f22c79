import { parseSearchRequest, search, type SearchRequestInput } from '@trailscope/query';
import { errorCodeOf } from '@trailscope/model';
import { generateTrail } from '@trailscope/fixtures';
import { waitFor } from '../support/env';
import { ACCOUNT_A, DAYS, REGIONS, seedStore, standardTrail, type SeededStore } from './support/seed';
import { idsOf, searchAll } from './support/search-all';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return errorCodeOf(err);
  }
  return 'none';
}

describe('deep pagination with point in time + search_after', () => {
  let store: SeededStore;

  beforeAll(async () => {
    store = await seedStore('t-page', standardTrail(11));
  });
  afterAll(async () => {
    await store?.close();
  });

  const page = (input: SearchRequestInput) => search(store.client, store.config.names, parseSearchRequest(input), {});

  it.each([
    ['desc', 7],
    ['asc', 13],
    ['desc', 1],
  ] as const)('visits every matching event exactly once (%s, page size %d)', async (sort, pageSize) => {
    const input = { sort, pageSize, accounts: [ACCOUNT_A] };
    const { events, pages, total, totals } = await searchAll(store, input);
    const want = store.want((e) => e.record.recipientAccountId === ACCOUNT_A);
    expect(total).toBe(want.length);
    // later pages carry the first page's count instead of counting again, and it is the same number
    expect(new Set(totals)).toEqual(new Set([want.length]));
    expect(events).toHaveLength(want.length);
    expect(new Set(events.map((e) => e.id)).size).toBe(want.length);
    expect(idsOf(events)).toEqual(want);
    expect(pages).toBe(Math.ceil(want.length / pageSize));
  });

  it('returns no cursor when the results fit one page exactly', async () => {
    const want = store.want((e) => e.record.eventName === 'DeleteBucket');
    const res = await page({ eventNames: ['DeleteBucket'], pageSize: want.length });
    expect(res.events).toHaveLength(want.length);
    expect(res.cursor).toBeUndefined();
  });

  it('stays on the snapshot of the first page while new events arrive', async () => {
    const before = store.want(() => true);
    // new events inside the same time range, in every account and region, arriving after the first and later pages
    const late = (seed: number) => generateTrail({ seed, accounts: [ACCOUNT_A], regions: REGIONS, days: DAYS, filesPerPartition: 1, eventsPerFile: 5 });
    const added: string[] = [];
    const { events, totals } = await searchAll(store, { pageSize: 25 }, {}, {
      onPage: async (n) => {
        if (n === 1 || n === 3) added.push(...(await store.add(late(100 + n))).map((e) => e.id));
      },
    });
    expect(added.length).toBeGreaterThan(0);
    expect(events).toHaveLength(before.length);
    // the total of every page is the snapshot's, not the growing store's
    expect(totals.length).toBeGreaterThan(3);
    expect(new Set(totals)).toEqual(new Set([before.length]));
    expect(idsOf(events)).toEqual(before);
    // a new search sees them
    expect(idsOf((await searchAll(store, {})).events)).toEqual([...before, ...added].sort());
  });

  it('rejects a cursor used with other filters or forged, and accepts another page size or raw flag', async () => {
    const first = await page({ pageSize: 5, regions: ['us-east-1'] });
    expect(first.cursor).toBeDefined();
    expect(await codeOf(page({ pageSize: 5, regions: ['eu-west-1'], cursor: first.cursor }))).toBe('INVALID_CURSOR');
    expect(await codeOf(page({ pageSize: 5, regions: ['us-east-1'], sort: 'asc', cursor: first.cursor }))).toBe('INVALID_CURSOR');
    expect(await codeOf(page({ pageSize: 5, regions: ['us-east-1'], cursor: 'bm90LWEtY3Vyc29y' }))).toBe('INVALID_CURSOR');
    // right filters, but a point-in-time id OpenSearch cannot read
    const decoded = JSON.parse(Buffer.from(first.cursor!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...decoded, p: 'Z2FyYmFnZQ==' })).toString('base64url');
    expect(await codeOf(page({ pageSize: 5, regions: ['us-east-1'], cursor: forged }))).toBe('INVALID_CURSOR');

    const second = await page({ pageSize: 3, regions: ['us-east-1'], includeRaw: true, cursor: first.cursor });
    expect(second.events).toHaveLength(3);
    expect(second.events[0]!.raw).toEqual(expect.any(String));
  });

  it('goes on from a cursor whose point in time is gone, from the same position', async () => {
    const input = { pageSize: 40, regions: ['us-east-1'] };
    const start = await page(input);
    const second = await page({ ...input, cursor: start.cursor });
    let cursor = second.cursor;
    // reading to the end releases the point in time
    while (cursor) cursor = (await page({ ...input, cursor })).cursor;
    const again = await waitFor(
      async () => {
        const res = await page({ ...input, cursor: start.cursor });
        const pit = (c: string | undefined) => (JSON.parse(Buffer.from(c ?? '', 'base64url').toString('utf8')) as { p?: string }).p;
        // a new snapshot was opened once the released one was refused
        return pit(res.cursor) !== pit(start.cursor) ? res : undefined;
      },
      { timeoutMs: 30000, what: 'the released point in time to be replaced' },
    );
    expect(again.events.map((e) => e.id)).toEqual(second.events.map((e) => e.id));
    // counted afresh in the new snapshot, which holds the same events
    expect(again.total).toBe(start.total);
  });
});
