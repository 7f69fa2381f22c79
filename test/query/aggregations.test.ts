import { aggregate, parseAggregationRequest, type AggregationRequestInput, type Scope } from '@trailscope/query';
import { errorCodeOf } from '@trailscope/model';
import { ACCOUNT_A, ACCOUNT_B, seedStore, standardTrail, type SeedEvent, type SeededStore } from './support/seed';

type Counts = Array<{ key: string; count: number }>;

/** Top-N counts computed from the seed: count desc, then key asc (the order the query package asks for). */
function topCounts(events: SeedEvent[], keyOf: (e: SeedEvent) => string | undefined, n: number): Counts {
  const m = new Map<string, number>();
  for (const e of events) {
    const k = keyOf(e);
    if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m.entries()]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, n);
}

describe('aggregations', () => {
  let store: SeededStore;

  beforeAll(async () => {
    store = await seedStore('t-agg', standardTrail(23));
  });
  afterAll(async () => {
    await store?.close();
  });

  const run = (input: AggregationRequestInput, scope: Scope = {}) => aggregate(store.client, store.config.names, parseAggregationRequest(input), scope);

  it('counts the top N values of a keyword field with the search filters applied', async () => {
    const res = await run({ errorsOnly: true, aggs: { codes: { type: 'terms', field: 'errorCode', size: 3 } } });
    const failed = store.events.filter((e) => e.record.errorCode !== undefined);
    expect(res.total).toBe(failed.length);
    const want = topCounts(failed, (e) => e.record.errorCode, 3);
    const got = res.aggs.codes;
    expect(got?.type === 'terms' && got.buckets.map(({ key, count }) => ({ key, count }))).toEqual(want);
    expect(got?.type === 'terms' && got.otherCount).toBe(failed.length - want.reduce((n, b) => n + b.count, 0));
  });

  it('answers "top principals calling DeleteBucket per account" with nested terms', async () => {
    const res = await run({
      eventNames: ['DeleteBucket'],
      aggs: { byAccount: { type: 'terms', field: 'account', size: 10, aggs: { principals: { type: 'terms', field: 'userArn', size: 10 } } } },
    });
    const deletes = store.events.filter((e) => e.record.eventName === 'DeleteBucket');
    const byAccount = res.aggs.byAccount;
    if (byAccount?.type !== 'terms') throw new Error('terms result expected');
    expect(byAccount.buckets.map(({ key, count }) => ({ key, count }))).toEqual(topCounts(deletes, (e) => e.record.recipientAccountId, 10));
    for (const b of byAccount.buckets) {
      const sub = b.aggs?.principals;
      if (sub?.type !== 'terms') throw new Error('nested terms expected');
      expect(sub.buckets.map(({ key, count }) => ({ key, count }))).toEqual(
        topCounts(deletes.filter((e) => e.record.recipientAccountId === b.key), (e) => e.record.userIdentity?.arn, 10),
      );
    }
  });

  it('builds a date histogram over the requested range, empty buckets included', async () => {
    const from = '2026-03-01T00:00:00.000Z';
    const to = '2026-03-02T23:59:59.999Z';
    const res = await run({ from, to, aggs: { daily: { type: 'date_histogram', interval: '1d' }, hourly: { type: 'date_histogram', interval: '6h' } } });
    const inRange = store.events.filter((e) => e.record.eventTime >= '2026-03-01T00:00:00Z' && e.record.eventTime <= '2026-03-02T23:59:59Z');
    const daily = res.aggs.daily;
    if (daily?.type !== 'date_histogram') throw new Error('histogram expected');
    expect(daily.buckets).toEqual([
      { key: '2026-03-01T00:00:00.000Z', count: inRange.filter((e) => e.record.eventTime.startsWith('2026-03-01')).length },
      { key: '2026-03-02T00:00:00.000Z', count: inRange.filter((e) => e.record.eventTime.startsWith('2026-03-02')).length },
    ]);
    const hourly = res.aggs.hourly;
    if (hourly?.type !== 'date_histogram') throw new Error('histogram expected');
    expect(hourly.buckets).toHaveLength(8);
    expect(hourly.buckets.reduce((n, b) => n + b.count, 0)).toBe(inRange.length);
  });

  it('counts distinct values', async () => {
    const res = await run({ accounts: [ACCOUNT_B], aggs: { users: { type: 'cardinality', field: 'userIdentity.arn' }, ips: { type: 'cardinality', field: 'sourceIPAddress' } } });
    const b = store.events.filter((e) => e.record.recipientAccountId === ACCOUNT_B);
    const distinct = (f: (e: SeedEvent) => unknown) => new Set(b.map(f).filter((v) => v !== undefined)).size;
    expect(res.aggs.users).toEqual({ type: 'cardinality', field: 'userIdentity.arn', value: distinct((e) => e.record.userIdentity?.arn) });
    expect(res.aggs.ips).toEqual({ type: 'cardinality', field: 'sourceIPAddress', value: distinct((e) => e.record.sourceIPAddress) });
  });

  it('stays inside the scope and refuses out-of-scope accounts', async () => {
    const res = await run({ aggs: { accounts: { type: 'terms', field: 'account', size: 10 } } }, { accounts: [ACCOUNT_A] });
    expect(res.aggs.accounts?.type === 'terms' && res.aggs.accounts.buckets.map((b) => b.key)).toEqual([ACCOUNT_A]);
    expect(res.total).toBe(store.want((e) => e.record.recipientAccountId === ACCOUNT_A).length);
    let err: unknown;
    try {
      await run({ accounts: [ACCOUNT_B], aggs: { n: { type: 'cardinality', field: 'eventName' } } }, { accounts: [ACCOUNT_A] });
    } catch (e) {
      err = e;
    }
    expect(errorCodeOf(err)).toBe('FORBIDDEN');
  });
});
