import { errorCodeOf, indexNameFor, type EventDoc } from '@trailscope/model';
import { checkTemplates, createBulkWriter, createSharedBulkWriter, installTemplates, listConflicts, type ConflictDoc } from '@trailscope/indexer';
import { createLogger, createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, makeConfig, uniqueNamespace } from '../support/env';

const logger = createLogger({ level: 'silent' });
const KEY_A = 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/01/123456789012_CloudTrail_us-east-1_20260301T0010Z_aaaaaaaaaaaaaaaa.json.gz';
const KEY_B = 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/02/123456789012_CloudTrail_us-east-1_20260302T0010Z_bbbbbbbbbbbbbbbb.json.gz';

function docOf(record: Record<string, unknown>, key: string): EventDoc {
  return {
    id: String(record.eventID),
    eventTime: String(record.eventTime),
    eventID: String(record.eventID),
    eventSource: String(record.eventSource),
    eventName: String(record.eventName),
    account: '123456789012',
    raw: JSON.stringify(record),
    ingest: { bucket: 'bucket-u', key, etag: `etag-${key.slice(-25, -8)}`, ingestedAt: '2026-03-03T00:00:00Z', kind: 'log' },
  };
}

const record = (n: number, extra: Record<string, unknown> = {}) => ({
  eventVersion: '1.09',
  eventID: `11111111-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
  eventTime: '2026-03-01T12:00:00Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'CreateUser',
  sourceIPAddress: '192.0.2.1',
  ...extra,
});

/** A client on a namespace with the templates installed. */
async function openNamespace(config: Config): Promise<OpenSearchClient> {
  const client = createOpenSearchClient(config);
  await installTemplates(client, config);
  return client;
}

async function closeNamespace(client: OpenSearchClient, namespace: string): Promise<void> {
  await cleanupNamespace(client, namespace);
  await client.close();
}

describe('one document per event id across event indices, against OpenSearch', () => {
  const namespace = uniqueNamespace('t-idx-uniq');
  const daily: Config = makeConfig(namespace, { TRAILSCOPE_INDEX_PERIOD: 'day', TRAILSCOPE_BULK_FLUSH_DOCS: 25 });
  const monthly: Config = makeConfig(namespace, { TRAILSCOPE_INDEX_PERIOD: 'month', TRAILSCOPE_BULK_FLUSH_DOCS: 25 });
  let client: OpenSearchClient;

  const docsInStore = async (): Promise<Array<{ _index: string; _id: string }>> => {
    await client.indices.refresh({ index: daily.names.eventIndexPattern });
    const res = await client.search({ index: daily.names.eventsAlias, body: { size: 10_000, _source: false, query: { match_all: {} } } });
    return (res.body.hits.hits as Array<{ _index: string; _id: string }>).map((h) => ({ _index: h._index, _id: h._id }));
  };
  const conflicts = async (): Promise<ConflictDoc[]> => {
    await client.indices.refresh({ index: daily.names.conflictsIndex });
    const out: ConflictDoc[] = [];
    for await (const c of listConflicts(client, daily)) out.push(c);
    return out;
  };

  beforeAll(async () => {
    client = await openNamespace(daily);
  });
  afterAll(() => closeNamespace(client, namespace));

  it('keeps the first copy and records a copy with another eventTime (another day) as a conflict', async () => {
    const first = createBulkWriter({ client, config: daily, logger });
    await first.add(record(1).eventID, docOf(record(1), KEY_A));
    expect(await first.flush()).toMatchObject({ indexed: 1, conflicts: 0 });

    const moved = record(1, { eventTime: '2026-03-02T08:00:00Z' });
    const second = createBulkWriter({ client, config: daily, logger });
    await second.add(moved.eventID, docOf(moved, KEY_B));
    expect(await second.flush()).toMatchObject({ indexed: 0, duplicates: 0, conflicts: 1 });

    expect(await docsInStore()).toEqual([{ _index: indexNameFor('2026-03-01T12:00:00Z', namespace), _id: moved.eventID }]);
    const [c, ...rest] = await conflicts();
    expect(rest).toEqual([]);
    expect(c).toMatchObject({
      code: 'EVENT_ID_CONFLICT',
      eventId: moved.eventID,
      raw: JSON.stringify(moved),
      bucket: 'bucket-u',
      key: KEY_B,
      storedIndex: indexNameFor('2026-03-01T12:00:00Z', namespace),
      storedId: moved.eventID,
      storedKey: KEY_A,
    });
    expect(c?.reason).toContain('eventTime stored 2026-03-01T12:00:00Z, this copy 2026-03-02T08:00:00Z');
  });

  it('records a copy with the same time and other content as a conflict, and an identical copy as a plain duplicate', async () => {
    const writer = createBulkWriter({ client, config: daily, logger });
    await writer.add(record(2).eventID, docOf(record(2), KEY_A));
    await writer.add(record(2).eventID, docOf(record(2, { sourceIPAddress: '203.0.113.9' }), KEY_B));
    await writer.add(record(2).eventID, docOf(record(2), KEY_B));
    expect(await writer.flush()).toMatchObject({ indexed: 1, duplicates: 1, conflicts: 1 });
    const mine = (await conflicts()).filter((c) => c.eventId === record(2).eventID);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.reason).toMatch(/field sourceIPAddress differs$/);

    // The same conflicting copy from the same file again (a retried job) is not listed twice.
    const retried = createBulkWriter({ client, config: daily, logger });
    await retried.add(record(2).eventID, docOf(record(2, { sourceIPAddress: '203.0.113.9' }), KEY_B));
    expect(await retried.flush()).toMatchObject({ indexed: 0, conflicts: 1 });
    expect((await conflicts()).filter((c) => c.eventId === record(2).eventID)).toHaveLength(1);
  });

  it('reads the stored copy for the reason when its write lands after this copy saw the claim', async () => {
    const stored = record(3);
    const first = createBulkWriter({ client, config: daily, logger });
    await first.add(stored.eventID, docOf(stored, KEY_A));
    expect(await first.flush()).toMatchObject({ indexed: 1 });
    // The claim stays while the document is gone, as when the claiming worker's write is still in flight.
    const index = indexNameFor(stored.eventTime, namespace);
    const got = await client.get({ index, id: stored.eventID });
    await client.delete({ index, id: stored.eventID, refresh: true });
    const moved = record(3, { eventTime: '2026-03-02T09:00:00Z' });
    const second = createBulkWriter({ client, config: daily, logger });
    await second.add(moved.eventID, docOf(moved, KEY_B));
    const late = new Promise((resolve) => setTimeout(resolve, 400)).then(() => client.index({ index, id: stored.eventID, body: got.body._source as Record<string, unknown>, op_type: 'create' }));
    expect(await second.flush()).toMatchObject({ indexed: 0, conflicts: 1 });
    await late;
    const mine = (await conflicts()).filter((c) => c.eventId === stored.eventID);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.reason).toContain('eventTime stored 2026-03-01T12:00:00Z, this copy 2026-03-02T09:00:00Z');
    expect(mine[0]?.storedKey).toBe(KEY_A);
  });

  it('writes identical copies bound for a monthly index into the daily index holding them', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => record(100 + i));
    const day = createBulkWriter({ client, config: daily, logger });
    for (const r of ids) await day.add(r.eventID, docOf(r, KEY_A));
    expect(await day.flush()).toMatchObject({ indexed: 30 });
    const month = createBulkWriter({ client, config: monthly, logger });
    for (const r of ids) await month.add(r.eventID, docOf(r, KEY_A));
    expect(await month.flush()).toMatchObject({ indexed: 0, duplicates: 30, conflicts: 0 });
    expect((await client.indices.exists({ index: indexNameFor('2026-03-01T12:00:00Z', namespace, 'month') })).body).toBe(false);
  });

  it('stores each id once when two writers (two workers, two index periods) write the same ids at the same time', async () => {
    const ids = Array.from({ length: 400 }, (_, i) => record(1000 + i));
    // Half of the ids arrive with other content at the second writer: exactly one of the two copies is stored.
    const variant = (r: ReturnType<typeof record>, i: number) => (i % 2 === 0 ? r : { ...r, eventName: 'DeleteUser' });
    const a = createSharedBulkWriter({ client, config: daily, logger, lingerMs: 0 }).session();
    const b = createSharedBulkWriter({ client, config: monthly, logger, lingerMs: 0 }).session();
    const [sa, sb] = await Promise.all([
      (async () => {
        for (const r of ids) await a.add(r.eventID, docOf(r, KEY_A));
        return a.flush();
      })(),
      (async () => {
        for (const [i, r] of ids.entries()) await b.add(r.eventID, docOf(variant(r, i), KEY_B));
        return b.flush();
      })(),
    ]);
    expect(sa.indexed + sb.indexed).toBe(ids.length);
    expect(sa.duplicates + sb.duplicates).toBe(ids.length / 2);
    expect(sa.conflicts + sb.conflicts).toBe(ids.length / 2);
    const stored = (await docsInStore()).filter((d) => ids.some((r) => r.eventID === d._id));
    expect(stored).toHaveLength(ids.length);
    expect(new Set(stored.map((d) => d._id)).size).toBe(ids.length);
    // Every conflicting copy names the index its id is stored in.
    const where = new Map(stored.map((d) => [d._id, d._index]));
    const raced = (await conflicts()).filter((c) => where.has(c.eventId));
    expect(raced).toHaveLength(ids.length / 2);
    for (const c of raced) expect(c.storedIndex).toBe(where.get(c.eventId));
    // The copy stored by the other writer is read for the reason even when its write lands after the claim was seen.
    for (const c of raced) expect(c.reason).toMatch(/field eventName differs$/);
  });
});

describe('a store written before event ids were claimed', () => {
  const namespace = uniqueNamespace('t-idx-claim');
  const daily: Config = makeConfig(namespace, { TRAILSCOPE_INDEX_PERIOD: 'day' });
  const monthly: Config = makeConfig(namespace, { TRAILSCOPE_INDEX_PERIOD: 'month' });
  let client: OpenSearchClient;

  beforeAll(async () => {
    client = await openNamespace(daily);
  });
  afterAll(() => closeNamespace(client, namespace));

  it('has its stored ids claimed by setup before workers may write, and then stores no second copy', async () => {
    // What an earlier release left: documents written without claims, one id already twice (day, then month).
    const ids = Array.from({ length: 1500 }, (_, i) => record(5000 + i));
    const old = createBulkWriter({ client, config: daily, logger, uniqueIds: false });
    for (const r of ids) await old.add(r.eventID, docOf(r, KEY_A));
    expect(await old.flush()).toMatchObject({ indexed: ids.length });
    const oldMonthly = createBulkWriter({ client, config: monthly, logger, uniqueIds: false });
    await oldMonthly.add(record(5000).eventID, docOf(record(5000), KEY_A));
    expect(await oldMonthly.flush()).toMatchObject({ indexed: 1 });
    await client.indices.delete({ index: daily.names.eventIdsIndex });
    await client.indices.refresh({ index: daily.names.eventIndexPattern });

    let code = '';
    await checkTemplates(client, daily).catch((err: unknown) => (code = errorCodeOf(err)));
    expect(code).toBe('TEMPLATE_MISSING');
    const report = await installTemplates(client, daily);
    expect(report.eventIdIndex).toMatchObject({ created: true, storedEvents: { ran: true, claimed: ids.length, storedTwice: 1 } });
    await checkTemplates(client, daily);
    expect((await installTemplates(client, daily)).eventIdIndex.storedEvents.ran).toBe(false);

    const again = createBulkWriter({ client, config: monthly, logger });
    for (const r of ids.slice(1, 101)) await again.add(r.eventID, docOf(r, KEY_A));
    expect(await again.flush()).toMatchObject({ indexed: 0, duplicates: 100 });
    await client.indices.refresh({ index: daily.names.eventIndexPattern });
    expect((await client.count({ index: daily.names.eventsAlias })).body.count).toBe(ids.length + 1);
  });
});
