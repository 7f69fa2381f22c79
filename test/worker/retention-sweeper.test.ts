import { installTemplates } from '@trailscope/indexer';
import { indexNameFor } from '@trailscope/model';
import { createLogger, createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import { startRetentionSweeper } from '@trailscope/worker';
import { cleanupNamespace, makeConfig, uniqueNamespace, waitFor } from '../support/env';

describe('worker retention sweeper', () => {
  const namespace = uniqueNamespace('t-retain');
  const config = makeConfig(namespace, { TRAILSCOPE_RETENTION_DAYS: 30 });
  const logger = createLogger({ level: 'silent' });
  let client: OpenSearchClient;

  beforeAll(async () => {
    client = createOpenSearchClient(config);
    await installTemplates(client, config);
  });
  afterAll(async () => {
    await cleanupNamespace(client, namespace);
    await client.close();
  });

  it('deletes event indices whose period ended before retention, on its own timer, and keeps recent ones', async () => {
    const now = new Date();
    const expired = indexNameFor('2020-01-15T00:00:00Z', namespace);
    const recent = indexNameFor(new Date(now.getTime() - 2 * 86_400_000), namespace);
    await client.indices.create({ index: expired });
    await client.indices.create({ index: recent });

    const sweeper = startRetentionSweeper({ opensearch: client, config, logger }, { intervalMs: 500 });
    try {
      await waitFor(async () => !(await client.indices.exists({ index: expired })).body, { timeoutMs: 30_000 });
      // a further sweep finds nothing left to delete
      expect(await sweeper.sweep()).toEqual([]);
      expect((await client.indices.exists({ index: recent })).body).toBe(true);
    } finally {
      sweeper.stop();
    }
  });

  it('does nothing when retention is not configured', async () => {
    const keepAll = makeConfig(namespace, { TRAILSCOPE_RETENTION_DAYS: 0 });
    const old = indexNameFor('2019-06-01T00:00:00Z', namespace);
    await client.indices.create({ index: old });
    const sweeper = startRetentionSweeper({ opensearch: client, config: keepAll, logger }, { intervalMs: 200 });
    expect(await sweeper.sweep()).toEqual([]);
    sweeper.stop();
    expect((await client.indices.exists({ index: old })).body).toBe(true);
  });
});
