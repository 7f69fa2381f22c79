import { aggregate, count, getEvent, parseAggregationRequest, parseSearchRequest, search } from '@trailscope/query';
import { namesFor } from '@trailscope/model';
import { createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import { makeConfig, uniqueNamespace } from '../support/env';

/** A deployment before its first ingest: no template, no index, no alias. Queries answer empty, not with errors. */
describe('queries before anything is indexed', () => {
  const ns = uniqueNamespace('t-empty');
  const names = namesFor(ns);
  let client: OpenSearchClient;

  beforeAll(() => {
    client = createOpenSearchClient(makeConfig(ns));
  });
  afterAll(async () => {
    await client.close();
  });

  it('search, count and aggregations are empty; get is NOT_FOUND', async () => {
    expect(await search(client, names, parseSearchRequest({ accounts: ['111111111111'] }), {})).toEqual({ events: [], total: 0 });
    expect(await count(client, names, parseSearchRequest({}), {})).toBe(0);
    const aggs = await aggregate(client, names, parseAggregationRequest({ aggs: { a: { type: 'terms', field: 'account' } } }), {});
    expect(aggs).toEqual({ total: 0, aggs: { a: { type: 'terms', field: 'account', buckets: [], otherCount: 0 } } });
    await expect(getEvent(client, names, 'x', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
