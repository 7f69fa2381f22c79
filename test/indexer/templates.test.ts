import { applyRetention, checkTemplates, installTemplates } from '@trailscope/indexer';
// the query package's list of aggregatable fields is internal to it; read it from its source
import { AGGREGATABLE_FIELDS } from '../../packages/query/src/fields';
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

  it('aggregates every aggregatable field, filters every other field, and finds events by id without an id index', async () => {
    const index = `${config.names.eventIndexPrefix}2026.03.02`;
    const id = 'c0ffee00-0000-4000-8000-000000000001';
    const doc = {
      id,
      eventTime: '2026-03-02T10:00:00Z',
      eventVersion: '1.09',
      eventID: id,
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventType: 'AwsApiCall',
      eventCategory: 'Data',
      account: '123456789012',
      region: 'us-east-1',
      orgId: 'o-abc123',
      readOnly: true,
      managementEvent: false,
      errorCode: 'AccessDenied',
      errorMessage: 'Access Denied for bucket',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:alice',
        arn: 'arn:aws:sts::123456789012:assumed-role/r/alice',
        accountId: '123456789012',
        accessKeyId: 'ASIAEXAMPLE',
        userName: 'alice',
        invokedBy: 'athena.amazonaws.com',
        mfaAuthenticated: true,
        sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: 'arn:aws:iam::123456789012:role/r', accountId: '123456789012', userName: 'r' },
      },
      sourceIPAddress: '192.0.2.1',
      sourceIp: '192.0.2.1',
      userAgent: 'aws-cli/2.15.0 Python/3.11',
      requestID: 'REQ123',
      sharedEventID: 'shared-1',
      vpcEndpointId: 'vpce-1',
      recipientAccountId: '123456789012',
      tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'b.s3.amazonaws.com' },
      resources: [{ ARN: 'arn:aws:s3:::b', type: 'AWS::S3::Bucket', accountId: '123456789012' }],
      requestParameters: { bucketName: 'b' },
      raw: '{}',
      ingest: { bucket: 'bucket-a', key: 'AWSLogs/k.json.gz', etag: 'etag-a', ingestedAt: '2026-03-02T10:05:00Z', kind: 'log' },
    };
    await client.index({ index, id, body: doc, refresh: true });
    for (const field of AGGREGATABLE_FIELDS) {
      const res = await client.search({ index, body: { size: 0, aggs: { a: { terms: { field } } } } as never });
      const buckets = (res.body as unknown as { aggregations: { a: { buckets: unknown[] } } }).aggregations.a.buckets;
      expect([field, buckets.length]).toEqual([field, 1]);
    }
    const filtered: Record<string, string> = {
      eventVersion: '1.09',
      sharedEventID: 'shared-1',
      'errorMessage.keyword': 'Access Denied for bucket',
      'userIdentity.invokedBy': 'athena.amazonaws.com',
      'userIdentity.accountId': '123456789012',
      'userIdentity.sessionIssuer.type': 'Role',
      'userIdentity.sessionIssuer.principalId': 'AROAEXAMPLE',
      'userIdentity.sessionIssuer.accountId': '123456789012',
      'tlsDetails.tlsVersion': 'TLSv1.3',
      'tlsDetails.cipherSuite': 'TLS_AES_128_GCM_SHA256',
      'tlsDetails.clientProvidedHostHeader': 'b.s3.amazonaws.com',
      'resources.accountId': '123456789012',
      'ingest.bucket': 'bucket-a',
      'ingest.key': 'AWSLogs/k.json.gz',
      'ingest.etag': 'etag-a',
      'ingest.kind': 'log',
      id,
    };
    for (const [field, value] of Object.entries(filtered)) {
      const res = await client.count({ index, body: { query: { term: { [field]: value } } } as never });
      expect([field, (res.body as { count: number }).count]).toEqual([field, 1]);
    }
    const text = await client.count({ index, body: { query: { match: { errorMessage: 'denied' } } } as never });
    expect((text.body as { count: number }).count).toBe(1);
    const byIds = await client.search({ index, body: { query: { ids: { values: [id] } }, sort: [{ eventTime: 'desc' }, { id: 'desc' }] } as never });
    expect((byIds.body as unknown as { hits: { hits: Array<{ _id: string; sort: unknown[] }> } }).hits.hits.map((h) => [h._id, h.sort[1]])).toEqual([[id, id]]);
    const mapping = (await client.indices.getMapping({ index })).body[index]?.mappings as { properties: Record<string, { index?: boolean; doc_values?: boolean }> };
    // the unique id is kept once in a terms dictionary (_id), not twice
    expect(mapping.properties.id).toMatchObject({ index: false });
    expect(mapping.properties.eventVersion).toMatchObject({ doc_values: false });
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
