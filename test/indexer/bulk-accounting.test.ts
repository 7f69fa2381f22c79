import * as net from 'node:net';
import type { EventDoc } from '@trailscope/model';
import { accountFor, createBulkWriter, installTemplates, type BulkStats } from '@trailscope/indexer';
import { createLogger, createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, makeConfig, uniqueNamespace } from '../support/env';

const logger = createLogger({ level: 'silent' });
const KEY = 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/01/123456789012_CloudTrail_us-east-1_20260301T0010Z_0123456789abcdef.json.gz';

function docFor(i: number, prefix: string): EventDoc {
  const id = `${prefix}-${i}`;
  const raw = JSON.stringify({ eventVersion: '1.09', eventID: id, eventTime: '2026-03-01T00:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject' });
  return {
    id,
    eventTime: '2026-03-01T00:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    account: '123456789012',
    raw,
    ingest: { bucket: 'bucket-a', key: KEY, etag: 'etag-a', ingestedAt: '2026-03-02T00:00:00Z', kind: 'log' },
  };
}

/**
 * A TCP proxy to the real cluster that lets the first `_bulk` request creating documents in `eventIndexPrefix`
 * through, and then cuts the connection as OpenSearch starts answering it: the documents are stored, the writer
 * never hears so (a request timeout or a reset connection under load).
 */
async function startLosingProxy(target: URL, eventIndexPrefix: string): Promise<{ server: net.Server; port: number; cut: () => boolean }> {
  let cut = false;
  const marker = `"_index":"${eventIndexPrefix}`;
  const server = net.createServer((socket) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    let request = '';
    socket.on('data', (chunk: Buffer) => {
      request += chunk.toString('utf8');
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      // The agent sends one request at a time per connection: an answer ends the request it answers.
      const answering = request;
      request = '';
      if (!cut && answering.startsWith('POST /_bulk') && answering.includes(marker)) {
        cut = true;
        socket.destroy();
        upstream.destroy();
        return;
      }
      socket.write(chunk);
    });
    socket.on('end', () => upstream.end());
    upstream.on('end', () => socket.end());
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, cut: () => cut };
}

describe('bulk writer accounting when an answer is lost, against OpenSearch', () => {
  const namespace = uniqueNamespace('t-idx-acct');
  const config: Config = makeConfig(namespace, { TRAILSCOPE_BULK_FLUSH_DOCS: 40 });
  let client: OpenSearchClient;

  const stored = async (prefix: string): Promise<number> => {
    await client.indices.refresh({ index: config.names.eventIndexPattern });
    const res = await client.count({ index: config.names.eventsAlias, body: { query: { prefix: { id: `${prefix}-` } } } });
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

  for (const uniqueIds of [true, false]) {
    it(`counts documents it stored as indexed when the answer to their write was lost (uniqueIds ${uniqueIds})`, async () => {
      const prefix = `lost-${uniqueIds ? 'claimed' : 'plain'}`;
      const proxy = await startLosingProxy(new URL(config.opensearch.url), `${namespace}-events-`);
      const viaProxy = createOpenSearchClient(makeConfig(namespace, { OPENSEARCH_URL: `http://127.0.0.1:${proxy.port}` }));
      const records = 100;
      let stats: BulkStats;
      try {
        const writer = createBulkWriter({ client: viaProxy, config, logger, uniqueIds, backoffBaseMs: 20, backoffCapMs: 100 });
        for (let i = 0; i < records; i++) await writer.add(`${prefix}-${i}`, docFor(i, prefix));
        stats = await writer.flush();
      } finally {
        await viaProxy.close();
        proxy.server.close();
      }
      expect(proxy.cut()).toBe(true);
      expect(stats.retried).toBeGreaterThan(0);
      expect(await stored(prefix)).toBe(records);
      // Every document is this writer's own: none is a duplicate of an earlier copy.
      expect(stats).toMatchObject({ indexed: records, duplicates: 0, conflicts: 0, deadLettered: 0 });
      expect(accountFor(records, stats)).toEqual({ records, settled: records, missing: 0 });
    });
  }

  it('still counts a real duplicate as a duplicate after a lost answer', async () => {
    const prefix = 'lost-dup';
    const first = createBulkWriter({ client, config, logger });
    for (let i = 0; i < 10; i++) await first.add(`${prefix}-${i}`, docFor(i, prefix));
    expect(await first.flush()).toMatchObject({ indexed: 10 });

    const proxy = await startLosingProxy(new URL(config.opensearch.url), `${namespace}-events-`);
    const viaProxy = createOpenSearchClient(makeConfig(namespace, { OPENSEARCH_URL: `http://127.0.0.1:${proxy.port}` }));
    let stats: BulkStats;
    try {
      // The same 10 records again (another delivery, ingested later), then 10 new ones, in one batch.
      const writer = createBulkWriter({ client: viaProxy, config, logger, backoffBaseMs: 20, backoffCapMs: 100 });
      for (let i = 0; i < 20; i++) {
        const doc = docFor(i, prefix);
        await writer.add(doc.id, { ...doc, ingest: { ...doc.ingest, ingestedAt: '2026-03-05T00:00:00Z' } });
      }
      stats = await writer.flush();
    } finally {
      await viaProxy.close();
      proxy.server.close();
    }
    expect(proxy.cut()).toBe(true);
    expect(await stored(prefix)).toBe(20);
    expect(stats).toMatchObject({ indexed: 10, duplicates: 10 });
    expect(accountFor(20, stats).missing).toBe(0);
  });
});
