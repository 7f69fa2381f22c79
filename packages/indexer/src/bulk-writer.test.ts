import { errorCodeOf, namesFor, type EventDoc } from '@trailscope/model';
import { createLogger, type OpenSearchClient } from '@trailscope/runtime';
import { createBulkWriter } from './bulk-writer';

type ItemStatus = number | { status: number; type: string };

/**
 * A stand-in for the OpenSearch client's transport (injected, not module-mocked): records every _bulk body and
 * answers each item with the status `answer` picks, optionally holding requests until released.
 */
function fakeClient(answer: (action: { _index: string; _id: string }, attempt: number) => ItemStatus) {
  const requests: string[][] = [];
  const indices: string[] = [];
  const attempts = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const held: Array<() => void> = [];
  let hold = false;
  const client = {
    transport: {
      async request(params: { path: string; bulkBody: string }) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          if (hold) await new Promise<void>((resolve) => held.push(resolve));
          const lines = params.bulkBody.split('\n').filter((l) => l !== '');
          const actions = lines.filter((_, i) => i % 2 === 0).map((l) => JSON.parse(l).create as { _index: string; _id: string });
          requests.push(actions.map((a) => a._id));
          for (const a of actions) if (!indices.includes(a._index)) indices.push(a._index);
          const items = actions.map((a) => {
            const n = (attempts.get(a._id) ?? 0) + 1;
            attempts.set(a._id, n);
            const s = answer(a, n);
            const status = typeof s === 'number' ? s : s.status;
            const type = typeof s === 'number' ? 'x' : s.type;
            return { create: status < 300 ? { status } : { status, error: { type, reason: `status ${status}` } } };
          });
          return { body: { errors: items.some((i) => i.create.status >= 300), items } };
        } finally {
          inFlight--;
        }
      },
    },
  };
  return {
    client: client as unknown as OpenSearchClient,
    requests,
    indices,
    maxInFlight: () => maxInFlight,
    setHold(on: boolean) {
      hold = on;
      if (!on) held.splice(0).forEach((r) => r());
    },
  };
}

const config = (docs: number, concurrency: number) => ({
  namespace: 'ns',
  names: namesFor('ns'),
  index: { period: 'day' as const, retentionDays: 0, shards: 1, replicas: 0 },
  ingest: { bulkFlushBytes: 10_000_000, bulkFlushDocs: docs, bulkConcurrency: concurrency } as never,
});
const logger = createLogger({ level: 'silent' });

function doc(i: number): EventDoc {
  return {
    id: `id-${i}`,
    eventTime: `2026-03-0${1 + (i % 2)}T00:00:00Z`,
    eventSource: 's',
    eventName: 'n',
    account: '1',
    raw: `{"i":${i}}`,
    ingest: { bucket: 'b', key: 'k', etag: 'e', ingestedAt: '2026-03-03T00:00:00Z', kind: 'log' },
  };
}

describe('createBulkWriter', () => {
  it('flushes by count into the eventTime index and classifies each item', async () => {
    const fake = fakeClient((a) => (a._id === 'id-3' ? 409 : a._id === 'id-4' ? { status: 400, type: 'mapper_parsing_exception' } : 201));
    const writer = createBulkWriter({ client: fake.client, config: config(3, 1), logger });
    for (let i = 0; i < 7; i++) await writer.add(`id-${i}`, doc(i));
    const stats = await writer.flush();
    expect(stats).toMatchObject({ indexed: 5, duplicates: 1, deadLettered: 1, retried: 0 });
    // The refused document goes to the dead-letter index under a content-hash id, in the next request.
    expect(fake.requests).toEqual([['id-0', 'id-1', 'id-2'], ['id-3', 'id-4', 'id-5'], [expect.stringMatching(/^[0-9a-f]{64}$/), 'id-6']]);
    expect(fake.indices).toEqual(expect.arrayContaining(['ns-events-2026.03.01', 'ns-events-2026.03.02', 'ns-deadletter']));
    expect(fake.indices).toHaveLength(3);
    expect(stats.bytes).toBeGreaterThan(0);
  });

  it('retries throttled items with backoff until they are accepted', async () => {
    const fake = fakeClient((a, attempt) => (a._id === 'id-1' && attempt < 3 ? 429 : a._id === 'id-2' && attempt < 2 ? 503 : 201));
    const writer = createBulkWriter({ client: fake.client, config: config(10, 2), logger, backoffBaseMs: 1, backoffCapMs: 5 });
    for (let i = 0; i < 4; i++) await writer.add(`id-${i}`, doc(i));
    expect(await writer.flush()).toMatchObject({ indexed: 4, retried: 3 });
    expect(fake.requests).toEqual([['id-0', 'id-1', 'id-2', 'id-3'], ['id-1', 'id-2'], ['id-1']]);
  });

  it('gives up after maxItemAttempts with a retryable OPENSEARCH_UNAVAILABLE', async () => {
    const fake = fakeClient(() => 429);
    const writer = createBulkWriter({ client: fake.client, config: config(10, 1), logger, backoffBaseMs: 1, backoffCapMs: 2, maxItemAttempts: 4 });
    await writer.add('id-0', doc(0));
    await expect(writer.flush()).rejects.toMatchObject({ code: 'OPENSEARCH_UNAVAILABLE' });
    expect(fake.requests).toHaveLength(4);
  });

  it('fails on a missing index instead of dead-lettering everything', async () => {
    const fake = fakeClient(() => ({ status: 404, type: 'index_not_found_exception' }));
    const writer = createBulkWriter({ client: fake.client, config: config(10, 1), logger });
    await writer.add('id-0', doc(0));
    let code = '';
    await writer.flush().catch((err: unknown) => (code = errorCodeOf(err)));
    expect(code).toBe('OPENSEARCH_REJECTED');
  });

  it('keeps at most bulkConcurrency requests in flight and makes add wait when they are full', async () => {
    const fake = fakeClient(() => 201);
    const writer = createBulkWriter({ client: fake.client, config: config(1, 2), logger });
    fake.setHold(true);
    await writer.add('id-0', doc(0));
    await writer.add('id-1', doc(1));
    // Two requests in flight, and the third batch waits for a slot: its add does not resolve yet.
    let thirdAdded = false;
    const third = writer.add('id-2', doc(2)).then(() => (thirdAdded = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(thirdAdded).toBe(false);
    expect(fake.maxInFlight()).toBe(2);
    fake.setHold(false);
    await third;
    await writer.add('id-3', doc(3));
    expect((await writer.flush()).indexed).toBe(4);
    expect(fake.maxInFlight()).toBe(2);
  });
});
