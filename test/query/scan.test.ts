import { installTemplates, createBulkWriter } from '@trailscope/indexer';
import type { EventDoc } from '@trailscope/model';
import { UNRESTRICTED, parseSearchRequest, scanEvents, type ScanHit } from '@trailscope/query';
import { createLogger, createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, makeConfig, uniqueNamespace } from '../support/env';

const logger = createLogger({ level: 'silent' });
const ACCOUNT = '123456789012';

function docOf(n: number, eventTime: string): EventDoc {
  const eventID = `5ca70000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  const record = { eventVersion: '1.09', eventID, eventTime, eventSource: 'iam.amazonaws.com', eventName: 'ListUsers', recipientAccountId: ACCOUNT };
  return {
    id: eventID,
    eventID,
    eventTime,
    eventSource: record.eventSource,
    eventName: record.eventName,
    account: ACCOUNT,
    raw: JSON.stringify(record),
    ingest: { bucket: 'bucket-scan', key: `k-${eventTime.slice(0, 10)}`, etag: 'e', ingestedAt: '2026-03-03T00:00:00Z', kind: 'log' },
  };
}

describe('scanEvents: every event oldest first, in time windows', () => {
  const namespace = uniqueNamespace('t-scan');
  const config: Config = makeConfig(namespace, { TRAILSCOPE_INDEX_PERIOD: 'month' });
  let client: OpenSearchClient;
  const docs: EventDoc[] = [];

  beforeAll(async () => {
    client = createOpenSearchClient(config);
    await installTemplates(client, config);
    let n = 0;
    // years of gaps, a dense minute, and events sharing one millisecond (ordered by id)
    for (const t of ['2014-06-01T00:00:00Z', '2019-02-03T04:05:06Z', '2026-03-01T12:00:00Z']) docs.push(docOf(n++, t));
    for (let i = 0; i < 1200; i += 1) docs.push(docOf(n++, new Date(Date.parse('2026-03-02T08:00:00Z') + i * 50).toISOString()));
    for (let i = 0; i < 12; i += 1) docs.push(docOf(n++, '2026-03-02T09:00:00.123Z'));
    for (let i = 0; i < 30; i += 1) docs.push(docOf(n++, new Date(Date.parse('2026-03-05T00:00:00Z') + i * 3_600_000).toISOString()));
    for (const d of docs) rawById.set(d.id, d.raw);
    // written in three rounds, each made searchable apart, in an order unlike time order: the indices hold several
    // segments, so a page's events are not consecutive documents (how a live store looks before merges)
    const writer = createBulkWriter({ client, config, logger });
    for (let round = 0; round < 3; round += 1) {
      for (const [i, d] of docs.entries()) if (i % 3 === (round * 2) % 3) await writer.add(d.id, d);
      await writer.flush();
      await client.indices.refresh({ index: config.names.eventIndexPattern });
    }
  });
  afterAll(async () => {
    await cleanupNamespace(client, namespace);
    await client.close();
  });

  const rawById = new Map<string, string>();
  const expected = () => [...docs].sort((a, b) => Date.parse(a.eventTime) - Date.parse(b.eventTime) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((d) => d.id);

  async function scanAll(pageSize: number, after?: { eventTimeMs: number; id: string }): Promise<{ ids: string[]; totals: Set<number> }> {
    const ids: string[] = [];
    const totals = new Set<number>();
    for await (const page of scanEvents(client, config.names, parseSearchRequest({}), UNRESTRICTED, { source: ['raw'], pageSize, ...(after ? { after } : {}) })) {
      totals.add(page.total);
      for (const h of page.hits as ScanHit[]) {
        // each hit carries its own record, whichever way the page was read
        expect(h.source.raw).toBe(rawById.get(h.id));
        ids.push(h.id);
      }
    }
    return { ids, totals };
  }

  it.each([1, 7, 50, 300, 1000])('reads each event once, in (eventTime, id) order, with pages of %i', async (pageSize) => {
    const { ids, totals } = await scanAll(pageSize);
    expect(ids).toEqual(expected());
    expect([...totals]).toEqual([docs.length]);
  });

  it('goes on right after a position, as a resumed export does', async () => {
    const order = expected();
    const at = docs.find((d) => d.id === order[130])!;
    const { ids } = await scanAll(9, { eventTimeMs: Date.parse(at.eventTime), id: at.id });
    expect(ids).toEqual(order.slice(131));
  });

  it('reads nothing from an empty result and from a position after the last event', async () => {
    const none = [];
    for await (const page of scanEvents(client, config.names, parseSearchRequest({ accounts: ['999999999999'] }), UNRESTRICTED, { source: ['raw'] })) none.push(page);
    expect(none).toEqual([]);
    const last = [...docs].sort((a, b) => Date.parse(b.eventTime) - Date.parse(a.eventTime))[0]!;
    const { ids } = await scanAll(5, { eventTimeMs: Date.parse(last.eventTime) + 1, id: '' });
    expect(ids).toEqual([]);
  });
});
