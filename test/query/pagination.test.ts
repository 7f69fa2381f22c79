import { createPitLimiter, parseSearchRequest, releaseCursor, search, type SearchRequestInput } from '@trailscope/query';
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

/** The authenticated content of a cursor (it is readable; only changing it is refused). */
const payloadOf = (cursor: string | undefined) => JSON.parse(Buffer.from((cursor ?? '').split('.')[0] ?? '', 'base64url').toString('utf8')) as { p?: string; t?: number };

describe('deep pagination with point in time + search_after', () => {
  let store: SeededStore;

  beforeAll(async () => {
    store = await seedStore('t-page', standardTrail(11));
  });
  afterAll(async () => {
    await store?.close();
  });

  const page = (input: SearchRequestInput) => search(store.client, store.config.names, parseSearchRequest(input), {});
  const openPits = async () => {
    const res = await store.client.transport.request({ method: 'GET', path: '/_search/point_in_time/_all' });
    return ((res.body as { pits?: Array<{ pit_id: string }> }).pits ?? []).map((p) => p.pit_id);
  };

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

  it('stays on the snapshot the second page opened while new events arrive', async () => {
    const before = store.want(() => true);
    // new events inside the same time range, in every account and region, arriving after the second and later pages
    const late = (seed: number) => generateTrail({ seed, accounts: [ACCOUNT_A], regions: REGIONS, days: DAYS, filesPerPartition: 1, eventsPerFile: 5 });
    const added: string[] = [];
    const { events, totals } = await searchAll(store, { pageSize: 25 }, {}, {
      onPage: async (n) => {
        if (n === 2 || n === 4) added.push(...(await store.add(late(100 + n))).map((e) => e.id));
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

  it('opens the point in time with the second page, not the first, and releases it at the end', async () => {
    const input = { pageSize: 40, regions: ['us-east-1'] };
    const first = await page(input);
    expect(first.cursor).toBeDefined();
    expect(payloadOf(first.cursor).p).toBeUndefined();
    const second = await page({ ...input, cursor: first.cursor });
    const pit = payloadOf(second.cursor).p;
    expect(pit).toEqual(expect.any(String));
    expect(await openPits()).toContain(pit);
    let cursor = second.cursor;
    while (cursor) {
      const next = await page({ ...input, cursor });
      // the later pages stay in that snapshot
      if (next.cursor) expect(payloadOf(next.cursor).p).toBe(pit);
      cursor = next.cursor;
    }
    await waitFor(async () => !(await openPits()).includes(pit!), { timeoutMs: 30000, what: 'the point in time to be released' });
  });

  it('keeps a principal under its limit of open points in time, reading without a snapshot beyond it', async () => {
    const limiter = createPitLimiter({ maxPerPrincipal: 1 });
    const options = (principal: string) => ({ pitLimiter: limiter, cursorBinding: { key: Buffer.alloc(32, 7), principal } });
    const run = (input: SearchRequestInput, principal: string) => search(store.client, store.config.names, parseSearchRequest(input), {}, options(principal));
    const a1 = await run({ pageSize: 10, regions: ['us-east-1'] }, 'k1');
    const a2 = await run({ pageSize: 10, regions: ['us-east-1'], cursor: a1.cursor }, 'k1');
    expect(payloadOf(a2.cursor).p).toEqual(expect.any(String));
    expect(limiter.openCount('k1')).toBe(1);
    // a second listing of the same key pages on, without a point in time, from the right position
    const b1 = await run({ pageSize: 10, regions: ['eu-west-1'] }, 'k1');
    const b2 = await run({ pageSize: 10, regions: ['eu-west-1'], cursor: b1.cursor }, 'k1');
    expect(payloadOf(b2.cursor).p).toBeUndefined();
    expect([...b1.events, ...b2.events].map((e) => e.id)).toEqual((await run({ pageSize: 20, regions: ['eu-west-1'] }, 'k1')).events.map((e) => e.id));
    // another key has its own budget
    const c1 = await run({ pageSize: 10 }, 'k2');
    expect(payloadOf((await run({ pageSize: 10, cursor: c1.cursor }, 'k2')).cursor).p).toEqual(expect.any(String));
    // releasing the first frees the room
    await releaseCursor(store.client, store.config.names, parseSearchRequest({ pageSize: 10, regions: ['us-east-1'], cursor: a2.cursor }), {}, options('k1'));
    expect(limiter.openCount('k1')).toBe(0);
    const b3 = await run({ pageSize: 10, regions: ['eu-west-1'], cursor: b2.cursor }, 'k1');
    expect(payloadOf(b3.cursor).p).toEqual(expect.any(String));
    for (const c of [b3.cursor, (await run({ pageSize: 10, cursor: c1.cursor }, 'k2')).cursor]) {
      const p = payloadOf(c).p;
      if (p) await store.client.deletePit({ body: { pit_id: [p] } }).catch(() => undefined);
    }
  });

  it('rejects a cursor used with other filters or forged, and accepts another page size or raw flag', async () => {
    const first = await page({ pageSize: 5, regions: ['us-east-1'] });
    const second = await page({ pageSize: 5, regions: ['us-east-1'], cursor: first.cursor });
    expect(payloadOf(second.cursor).p).toBeDefined();
    expect(await codeOf(page({ pageSize: 5, regions: ['eu-west-1'], cursor: second.cursor }))).toBe('INVALID_CURSOR');
    expect(await codeOf(page({ pageSize: 5, regions: ['us-east-1'], sort: 'asc', cursor: second.cursor }))).toBe('INVALID_CURSOR');
    expect(await codeOf(page({ pageSize: 5, regions: ['us-east-1'], cursor: 'bm90LWEtY3Vyc29y' }))).toBe('INVALID_CURSOR');
    // right filters, but a point-in-time id of its own choosing, or a total of its own, under the old MAC
    const [, mac] = second.cursor!.split('.');
    for (const change of [{ p: 'Z2FyYmFnZQ==' }, { t: 1 }]) {
      const forged = `${Buffer.from(JSON.stringify({ ...payloadOf(second.cursor), ...change })).toString('base64url')}.${mac}`;
      expect(await codeOf(page({ pageSize: 5, regions: ['us-east-1'], cursor: forged }))).toBe('INVALID_CURSOR');
    }

    const third = await page({ pageSize: 3, regions: ['us-east-1'], includeRaw: true, cursor: second.cursor });
    expect(third.events).toHaveLength(3);
    expect(third.events[0]!.raw).toEqual(expect.any(String));
  });

  it('goes on from a cursor whose point in time is gone, from the same position', async () => {
    const input = { pageSize: 40, regions: ['us-east-1'] };
    const start = await page(input);
    const second = await page({ ...input, cursor: start.cursor });
    const third = await page({ ...input, cursor: second.cursor });
    let cursor = third.cursor;
    // reading to the end releases the point in time
    while (cursor) cursor = (await page({ ...input, cursor })).cursor;
    const again = await waitFor(
      async () => {
        const res = await page({ ...input, cursor: second.cursor });
        // a new snapshot was opened once the released one was refused
        return payloadOf(res.cursor).p !== payloadOf(second.cursor).p ? res : undefined;
      },
      { timeoutMs: 30000, what: 'the released point in time to be replaced' },
    );
    expect(again.events.map((e) => e.id)).toEqual(third.events.map((e) => e.id));
    // counted afresh in the new snapshot, which holds the same events
    expect(again.total).toBe(start.total);
  });
});
