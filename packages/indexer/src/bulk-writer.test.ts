import { errorCodeOf, namesFor, type EventDoc } from '@trailscope/model';
import { createLogger, type OpenSearchClient } from '@trailscope/runtime';
import { createBulkWriter, createSharedBulkWriter } from './bulk-writer';

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

describe('createSharedBulkWriter', () => {
  const lingerMs = 20;

  it('puts the documents of concurrent sessions into one request and credits each session with its own outcomes', async () => {
    const fake = fakeClient((a) => (a._id === 'b-1' ? 409 : a._id === 'a-1' ? { status: 400, type: 'mapper_parsing_exception' } : 201));
    const shared = createSharedBulkWriter({ client: fake.client, config: config(100, 2), logger, lingerMs: 60_000 });
    const a = shared.session();
    const b = shared.session();
    for (let i = 0; i < 3; i++) await a.add(`a-${i}`, doc(i));
    for (let i = 0; i < 2; i++) await b.add(`b-${i}`, doc(i));
    // `a` flushes while `b` is still adding: its partial batch waits for `b` (the linger is long), sending nothing yet.
    let aDone = false;
    const aFlushed = a.flush().then((stats) => ((aDone = true), stats));
    await new Promise((r) => setImmediate(r));
    expect(fake.requests).toHaveLength(0);
    expect(aDone).toBe(false);
    await b.add('b-2', doc(2));
    const [aStats, bStats] = await Promise.all([aFlushed, b.flush()]);
    expect(fake.requests[0]).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'b-1', 'b-2']);
    expect(aStats).toMatchObject({ indexed: 2, duplicates: 0, deadLettered: 1 });
    expect(bStats).toMatchObject({ indexed: 2, duplicates: 1, deadLettered: 0 });
    expect(shared.stats()).toMatchObject({ indexed: 4, duplicates: 1, deadLettered: 1 });
  });

  it("sends a lone session's partial batch after the linger even while another session stays open", async () => {
    const fake = fakeClient(() => 201);
    const shared = createSharedBulkWriter({ client: fake.client, config: config(100, 1), logger, lingerMs });
    shared.session(); // a job still downloading its file: open, adding nothing
    const a = shared.session();
    await a.add('a-0', doc(0));
    expect(await a.flush()).toMatchObject({ indexed: 1 });
    expect(fake.requests).toEqual([['a-0']]);
  });

  it('fails only the session whose documents OpenSearch kept refusing, and keeps serving later sessions', async () => {
    const fake = fakeClient((a) => (a._id.startsWith('x-') ? 429 : 201));
    const shared = createSharedBulkWriter({ client: fake.client, config: config(100, 1), logger, lingerMs, backoffBaseMs: 1, backoffCapMs: 2, maxItemAttempts: 3 });
    const failing = shared.session();
    const healthy = shared.session();
    await failing.add('x-0', doc(0));
    await healthy.add('y-0', doc(1));
    const [f, h] = await Promise.allSettled([failing.flush(), healthy.flush()]);
    expect(fake.requests[0]).toEqual(['x-0', 'y-0']);
    expect(f).toMatchObject({ status: 'rejected', reason: { code: 'OPENSEARCH_UNAVAILABLE' } });
    expect(h).toMatchObject({ status: 'fulfilled', value: { indexed: 1 } });
    await expect(failing.add('x-1', doc(1))).rejects.toMatchObject({ code: 'OPENSEARCH_UNAVAILABLE' });
    const later = shared.session();
    await later.add('z-0', doc(2));
    expect(await later.flush()).toMatchObject({ indexed: 1 });
  });

  it('fails every session with documents in a batch that failed as a whole, not the sessions of other batches', async () => {
    let down = true;
    const fake = fakeClient(() => (down ? 503 : 201));
    const shared = createSharedBulkWriter({ client: fake.client, config: config(100, 2), logger, lingerMs, backoffBaseMs: 1, backoffCapMs: 2, maxItemAttempts: 3 });
    const a = shared.session();
    const b = shared.session();
    await a.add('a-0', doc(0));
    await b.add('b-0', doc(1));
    const results = await Promise.allSettled([a.flush(), b.flush()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    down = false;
    const c = shared.session();
    await c.add('c-0', doc(2));
    expect(await c.flush()).toMatchObject({ indexed: 1, retried: 0 });
    expect(fake.requests.at(-1)).toEqual(['c-0']);
  });

  it('drops what a closed session left unsent', async () => {
    const fake = fakeClient(() => 201);
    const shared = createSharedBulkWriter({ client: fake.client, config: config(100, 1), logger, lingerMs });
    const abandoned = shared.session();
    const kept = shared.session();
    await abandoned.add('a-0', doc(0));
    await kept.add('k-0', doc(1));
    abandoned.close();
    expect(await kept.flush()).toMatchObject({ indexed: 1 });
    expect(fake.requests).toEqual([['k-0']]);
  });
});
