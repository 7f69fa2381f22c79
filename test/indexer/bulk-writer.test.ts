import * as net from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { indexNameFor, type EventDoc } from '@trailscope/model';
import { createBulkWriter, installTemplates, listDeadLetters, type BulkWriter } from '@trailscope/indexer';
import { logSourceFor, MAX_FREE_FORM_LEAF_CHARS, parseLogFile } from '@trailscope/parser';
import { createLogger, createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, codeOf, makeConfig, uniqueNamespace, waitFor } from '../support/env';

const KEY = 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/01/123456789012_CloudTrail_us-east-1_20260301T0010Z_0123456789abcdef.json.gz';
const logger = createLogger({ level: 'silent' });

function record(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    eventID: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    eventTime: `2026-03-01T00:${String(i % 60).padStart(2, '0')}:00Z`,
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'us-east-1',
    sourceIPAddress: `10.0.0.${i % 250}`,
    recipientAccountId: '123456789012',
    ...extra,
  };
}

async function writeFile(writer: BulkWriter, texts: string[]): Promise<void> {
  const source = logSourceFor('bucket-a', KEY, 'etag-a');
  const body = Readable.from([gzipSync(`{"Records":[${texts.join(',')}]}`)]);
  for await (const item of parseLogFile(body, source)) {
    if (item.ok) await writer.add(item.id, item.doc);
    else await writer.deadLetter({ raw: item.raw, code: item.code, reason: item.reason, bucket: source.bucket, key: source.key, etag: source.etag });
  }
}

describe('bulk writer against OpenSearch', () => {
  const namespace = uniqueNamespace('t-idx-bulk');
  const config: Config = makeConfig(namespace, { TRAILSCOPE_BULK_FLUSH_DOCS: 7, TRAILSCOPE_BULK_CONCURRENCY: 2 });
  let client: OpenSearchClient;

  const count = async (query: object = { match_all: {} }) => {
    await client.indices.refresh({ index: config.names.eventIndexPattern });
    const res = await client.count({ index: config.names.eventsAlias, body: { query } });
    return res.body.count;
  };

  beforeAll(async () => {
    client = createOpenSearchClient(config);
    await installTemplates(client, config);
  });
  afterAll(async () => {
    await cleanupNamespace(client, namespace);
    await client.close();
  });

  it('indexes every record of a file, counts replays as duplicates, and keeps raw byte for byte', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => JSON.stringify(record(i)));
    // An old-version record without eventID: its id is a hash of the text, stable across deliveries.
    texts.push('{"eventVersion":"1.0","eventTime":"2026-03-01T05:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","n":1.0,"u":"\\u00e9"}');
    const first = createBulkWriter({ client, config, logger });
    await writeFile(first, texts);
    expect(await first.flush()).toMatchObject({ indexed: 51, duplicates: 0, deadLettered: 0 });
    expect(await count()).toBe(51);

    const replay = createBulkWriter({ client, config, logger });
    await writeFile(replay, texts);
    expect(await replay.flush()).toMatchObject({ indexed: 0, duplicates: 51 });
    expect(await count()).toBe(51);

    const res = await client.search({ index: config.names.eventsAlias, body: { query: { term: { eventName: 'RunInstances' } } } });
    const hit = res.body.hits.hits[0] as { _id: string; _source: EventDoc };
    expect(hit._id).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(hit._source.raw).toBe(texts[50]);
  });

  it('indexes free-form objects whose keys change type between events, and very long values', async () => {
    const long = 'p'.repeat(40_000);
    const texts = [
      JSON.stringify(record(100, { requestParameters: { filter: 'a-string', size: 5 } })),
      JSON.stringify(record(101, { requestParameters: { filter: { name: 'x', values: ['v1', 'v2'] }, size: '5' } })),
      JSON.stringify(record(102, { requestParameters: { filter: [1, { deep: { deeper: true } }] }, responseElements: { policy: long } })),
      JSON.stringify(record(103, { requestParameters: null, additionalEventData: { bytes: 10 }, serviceEventDetails: { a: { b: 'c' } } })),
    ];
    const writer = createBulkWriter({ client, config, logger });
    await writeFile(writer, texts);
    expect(await writer.flush()).toMatchObject({ indexed: 4, deadLettered: 0 });
    expect(await count({ term: { 'requestParameters.filter': 'a-string' } })).toBe(1);
    expect(await count({ term: { 'requestParameters.filter.name': 'x' } })).toBe(1);
    expect(await count({ term: { 'requestParameters.filter.values': 'v2' } })).toBe(1);
    expect(await count({ term: { 'serviceEventDetails.a.b': 'c' } })).toBe(1);
    expect(await count({ term: { 'responseElements.policy': 'p'.repeat(MAX_FREE_FORM_LEAF_CHARS) } })).toBe(1);
    const res = await client.get({ index: indexNameFor('2026-03-01T00:42:00Z', namespace), id: '00000000-0000-4000-8000-000000000066' });
    expect((res.body._source as EventDoc).raw).toContain(long);
  });

  it('dead-letters bad records and documents OpenSearch refuses, with reason and file, while indexing the rest', async () => {
    const writer = createBulkWriter({ client, config, logger });
    await writeFile(writer, [JSON.stringify(record(200)), '"not an object"', JSON.stringify({ eventTime: '2026-03-01T00:00:00Z' }), JSON.stringify(record(201))]);
    // A document the mapping refuses: sourceIp must be an IP.
    const base = record(202);
    const doc = {
      id: 'refused-1',
      eventTime: '2026-03-01T01:00:00Z',
      eventSource: 's',
      eventName: 'n',
      account: '123456789012',
      sourceIp: 'not-an-ip',
      raw: JSON.stringify(base),
      ingest: { bucket: 'bucket-a', key: KEY, etag: 'etag-a', ingestedAt: '2026-03-02T00:00:00Z', kind: 'log' as const },
    };
    await writer.add('refused-1', doc);
    expect(await writer.flush()).toMatchObject({ indexed: 2, deadLettered: 3 });

    await client.indices.refresh({ index: config.names.deadLetterIndex });
    const { total, entries } = await listDeadLetters(client, config, { limit: 10 });
    expect(total).toBe(3);
    const byRaw = new Map(entries.map((e) => [e.raw, e]));
    expect(byRaw.get('"not an object"')).toMatchObject({ code: 'RECORD_INVALID', reason: 'record is a string, not an object', bucket: 'bucket-a', key: KEY, etag: 'etag-a' });
    expect(byRaw.get(JSON.stringify({ eventTime: '2026-03-01T00:00:00Z' }))?.reason).toBe('record has no eventSource');
    const refused = byRaw.get(JSON.stringify(base));
    expect(refused?.code).toBe('OPENSEARCH_REJECTED');
    expect(refused?.reason).toContain('sourceIp');

    // Dead-lettering the same record again (a retried job) does not add a second entry.
    const again = createBulkWriter({ client, config, logger });
    await again.deadLetter({ raw: '"not an object"', code: 'RECORD_INVALID', reason: 'record is a string, not an object', bucket: 'bucket-a', key: KEY, etag: 'etag-a' });
    expect(await again.flush()).toMatchObject({ deadLettered: 1 });
    await client.indices.refresh({ index: config.names.deadLetterIndex });
    expect((await listDeadLetters(client, config)).total).toBe(3);
  });

  it('retries items refused by a write block until it is lifted, then indexes them all', async () => {
    const index = indexNameFor('2026-03-02T00:00:00Z', namespace);
    await client.indices.create({ index });
    await client.indices.putSettings({ index, body: { 'index.blocks.write': true } });
    const writer = createBulkWriter({ client, config, logger, backoffBaseMs: 50, backoffCapMs: 200 });
    try {
      for (let i = 0; i < 20; i++) await writer.add(`blocked-${i}`, { ...docFor(i, `blocked-${i}`), eventTime: '2026-03-02T00:00:00Z' });
      const flushed = writer.flush();
      await waitFor(() => writer.stats().retried >= 20, { what: 'items retried under the write block', timeoutMs: 30_000 });
      await client.indices.putSettings({ index, body: { 'index.blocks.write': false } });
      const stats = await flushed;
      expect(stats.indexed).toBe(20);
      expect(stats.deadLettered).toBe(0);
      expect(stats.retried).toBeGreaterThanOrEqual(20);
      expect(await count({ prefix: { id: 'blocked-' } })).toBe(20);
    } finally {
      await client.indices.putSettings({ index, body: { 'index.blocks.write': false } });
    }
  });

  it('waits out a cluster that does not answer, and resumes when it does', async () => {
    // A port that refuses connections until a proxy to the real cluster starts listening on it.
    const port = await freePort();
    const target = new URL(config.opensearch.url);
    const outage = makeConfig(namespace, { OPENSEARCH_URL: `http://127.0.0.1:${port}`, TRAILSCOPE_BULK_FLUSH_DOCS: 5 });
    const viaProxy = createOpenSearchClient(outage, { requestTimeoutMs: 5000 });
    const writer = createBulkWriter({ client: viaProxy, config: outage, logger, backoffBaseMs: 50, backoffCapMs: 300 });
    let proxy: net.Server | undefined;
    try {
      for (let i = 0; i < 12; i++) await writer.add(`outage-${i}`, { ...docFor(i, `outage-${i}`), eventTime: '2026-03-03T00:00:00Z' });
      const flushed = writer.flush();
      await waitFor(() => writer.stats().retried >= 12, { what: 'retries while the cluster is unreachable', timeoutMs: 30_000 });
      proxy = await startProxy(port, target.hostname, Number(target.port));
      const stats = await flushed;
      expect(stats.indexed).toBe(12);
    } finally {
      proxy?.close();
      await viaProxy.close();
    }
    expect(await count({ prefix: { id: 'outage-' } })).toBe(12);
  });

  it('gives up with a retryable OPENSEARCH_UNAVAILABLE after maxRetryMs without an answer', async () => {
    const port = await freePort();
    const dead = makeConfig(namespace, { OPENSEARCH_URL: `http://127.0.0.1:${port}` });
    const deadClient = createOpenSearchClient(dead, { requestTimeoutMs: 1000 });
    try {
      const writer = createBulkWriter({ client: deadClient, config: dead, logger, maxRetryMs: 500, backoffBaseMs: 20, backoffCapMs: 100 });
      await writer.add('never-1', docFor(1));
      expect(await codeOf(writer.flush())).toBe('OPENSEARCH_UNAVAILABLE');
      expect(await codeOf(writer.add('never-2', docFor(2)))).toBe('OPENSEARCH_UNAVAILABLE');
    } finally {
      await deadClient.close();
    }
  });
});

function docFor(i: number, id = `doc-${i}`): EventDoc {
  return {
    id,
    eventTime: '2026-03-01T00:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'PutObject',
    account: '123456789012',
    raw: JSON.stringify(record(i)),
    ingest: { bucket: 'bucket-a', key: KEY, etag: 'etag-a', ingestedAt: '2026-03-02T00:00:00Z', kind: 'log' },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP proxy to the real cluster, standing in for a node coming back at its address. */
async function startProxy(port: number, host: string, targetPort: number): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const upstream = net.connect(targetPort, host);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
