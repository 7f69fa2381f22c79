import { applyRetention, checkTemplates, installTemplates } from '@trailscope/indexer';
import { createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, codeOf, makeConfig, uniqueNamespace } from '../support/env';

describe('index templates, dead-letter index and retention', () => {
  const namespace = uniqueNamespace('t-idx-tpl');
  const config = makeConfig(namespace, { TRAILSCOPE_RETENTION_DAYS: 30, TRAILSCOPE_INDEX_REPLICAS: 0 });
  let client: OpenSearchClient;

  beforeAll(() => {
    client = createOpenSearchClient(config);
  });
  afterAll(async () => {
    await cleanupNamespace(client, namespace);
    await client.close();
  });

  it('reports TEMPLATE_MISSING before setup and nothing after', async () => {
    expect(await codeOf(checkTemplates(client, config))).toBe('TEMPLATE_MISSING');
    await installTemplates(client, config);
    await checkTemplates(client, config);
  });

  it('installs idempotently', async () => {
    const first = await installTemplates(client, config);
    const second = await installTemplates(client, config);
    expect(first.deadLetterIndex.created).toBe(false); // created by the previous test
    expect(second.deadLetterIndex.created).toBe(false);
    expect(second.eventTemplate).toEqual(first.eventTemplate);
    expect(second.retention.mode).toMatch(/^(ism|sweep)$/);
    await checkTemplates(client, config);
  });

  it('gives new event indices the mapping, settings and read alias', async () => {
    const index = `${config.names.eventIndexPrefix}2026.03.01`;
    await client.indices.create({ index });
    const mapping = (await client.indices.getMapping({ index })).body[index]?.mappings as {
      dynamic: string;
      properties: Record<string, { type?: string; index?: boolean }>;
    };
    expect(mapping.dynamic).toBe('false');
    expect(mapping.properties.eventTime?.type).toBe('date');
    expect(mapping.properties.sourceIp?.type).toBe('ip');
    expect(mapping.properties.requestParameters?.type).toBe('flat_object');
    expect(mapping.properties.raw).toMatchObject({ type: 'keyword', index: false });
    const settings = (await client.indices.getSettings({ index })).body[index]?.settings as { index: Record<string, unknown> };
    expect(settings.index).toMatchObject({
      codec: 'best_compression',
      number_of_replicas: '0',
      refresh_interval: '5s',
      // newest first, as searches sort by default
      sort: { field: ['eventTime', 'id'], order: ['desc', 'desc'] },
    });
    const aliases = (await client.indices.getAlias({ index })).body[index]?.aliases ?? {};
    expect(Object.keys(aliases)).toEqual([config.names.eventsAlias]);
  });

  it('installs without deleting anything: expired indices are left to applyRetention', async () => {
    const expired = `${config.names.eventIndexPrefix}2019.02.01`;
    await client.indices.create({ index: expired });
    const report = await installTemplates(client, config);
    expect(report.retention).not.toHaveProperty('deletedIndices');
    expect((await client.indices.exists({ index: expired })).body).toBe(true);
    // a clock before the other cases' indices, so only this one is past retention
    expect(await applyRetention(client, config, new Date('2019-06-01T00:00:00Z'))).toEqual([expired]);
    expect((await client.indices.exists({ index: expired })).body).toBe(false);
  });

  it('deletes event indices whose period ended more than retentionDays ago, and only those', async () => {
    const old = `${config.names.eventIndexPrefix}2020.01.01`;
    const recent = `${config.names.eventIndexPrefix}2026.03.20`;
    await client.indices.create({ index: old });
    await client.indices.create({ index: recent });
    const deleted = await applyRetention(client, config, new Date('2026-04-01T00:00:00Z'));
    expect(deleted).toEqual([old, `${config.names.eventIndexPrefix}2026.03.01`]);
    expect((await client.indices.exists({ index: old })).body).toBe(false);
    expect((await client.indices.exists({ index: recent })).body).toBe(true);
    expect((await client.indices.exists({ index: config.names.deadLetterIndex })).body).toBe(true);
    const noRetention = makeConfig(namespace, { TRAILSCOPE_RETENTION_DAYS: 0 });
    expect(await applyRetention(client, noRetention, new Date('2030-01-01T00:00:00Z'))).toEqual([]);
    expect((await client.indices.exists({ index: recent })).body).toBe(true);
  });

  it('reports an unreachable cluster as retryable OPENSEARCH_UNAVAILABLE, not as a missing template', async () => {
    const dead = createOpenSearchClient(makeConfig(namespace, { OPENSEARCH_URL: 'http://127.0.0.1:9' }), { requestTimeoutMs: 2000 });
    try {
      expect(await codeOf(checkTemplates(dead, config))).toBe('OPENSEARCH_UNAVAILABLE');
    } finally {
      await dead.close();
    }
  });
});
