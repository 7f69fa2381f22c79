import { buildFinding, installDetectionIndices, writeFindings, type FindingWrite } from '@trailscope/detect';
import { createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, makeConfig, uniqueNamespace } from '../support/env';

/**
 * Findings are written in chunks; a caller asking for a refresh (the live detector, before it forgets the files it
 * evaluated) gets every finding searchable when the call returns, with one refresh for the whole call: a refresh on
 * each chunk waited out the index's refresh interval once per 500 findings.
 */
describe('writeFindings in chunks', () => {
  const namespace = uniqueNamespace('t-det-writer');
  const config = makeConfig(namespace);
  let client: OpenSearchClient;
  let observed: OpenSearchClient;
  const bulkRefresh: Array<string | undefined> = [];

  beforeAll(async () => {
    client = createOpenSearchClient(config);
    observed = createOpenSearchClient(config);
    observed.on('request', (_err, event) => {
      const params = (event as { meta?: { request?: { params?: { path?: string; querystring?: Record<string, unknown> | string } } } }).meta?.request?.params;
      if (!params?.path?.endsWith('/_bulk')) return;
      const qs = typeof params.querystring === 'string' ? new URLSearchParams(params.querystring) : new URLSearchParams(Object.entries(params.querystring ?? {}).map(([k, v]) => [k, String(v)]));
      bulkRefresh.push(qs.get('refresh') ?? undefined);
    });
    await installDetectionIndices(client, config);
  });
  afterAll(async () => {
    await cleanupNamespace(client, namespace);
    await observed.close();
    await client.close();
  });

  const rule = { kind: 'single' as const, id: 'r-chunks', title: 'Chunked', level: 'low', tags: [], version: 'v1' };
  const writes = (n: number, prefix: string): FindingWrite[] =>
    Array.from({ length: n }, (_, i) => ({
      op: 'create',
      doc: buildFinding(`${prefix}-${i}`, rule, [{ id: `e-${prefix}-${i}`, eventTime: '2026-03-01T10:00:00Z', account: '111122223333', region: 'us-east-1' }], { source: 'live', now: new Date() }),
    }));

  // the index refreshes itself every second: a count taken right after the call shows what that call's refresh made
  // searchable, so the interval is lengthened to keep the index's own refresh out of the way
  it('asks for the refresh on the last chunk only, and every finding is searchable when it returns', async () => {
    await client.indices.putSettings({ index: config.names.findingsIndex, body: { index: { refresh_interval: '5s' } } as never });
    const result = await writeFindings(observed, config, writes(1_234, 'a'), { refresh: 'wait_for', chunk: 500 });
    expect(result).toEqual({ created: 1_234, existing: 0, updated: 0 });
    expect(bulkRefresh).toEqual([undefined, undefined, 'wait_for']);
    const count = (await client.count({ index: config.names.findingsIndex })).body as { count: number };
    expect(count.count).toBe(1_234);
  });

  it('sends no refresh when none is asked for, and a second write of the same findings creates none', async () => {
    bulkRefresh.length = 0;
    const again = await writeFindings(observed, config, writes(1_234, 'a'), { chunk: 500 });
    expect(again).toEqual({ created: 0, existing: 1_234, updated: 0 });
    expect(bulkRefresh).toEqual([undefined, undefined, undefined]);
  });
});
