import { errorCodeOf, namesFor, type EventDoc } from '@trailscope/model';
import { createLogger, type OpenSearchClient } from '@trailscope/runtime';
import { createBulkWriter, createSharedBulkWriter } from './bulk-writer';

type ItemStatus = number | { status: number; type: string };

/**
 * A stand-in for the OpenSearch client's transport (injected, not module-mocked): records every _bulk body of event,
 * dead-letter and conflict documents and answers each item with the status `answer` picks, optionally holding
 * requests until released. Claims in the event-id index are kept in a map and answered as OpenSearch would (201,
 * then 409 for the same id; `_mget` reads them back), and are not recorded among the requests.
 */
function fakeClient(answer: (action: { _index: string; _id: string }, attempt: number) => ItemStatus) {
  const requests: string[][] = [];
  const indices: string[] = [];
  const attempts = new Map<string, number>();
  const claims = new Map<string, { index: string; sha256: string }>();
  const stored = new Map<string, string>();
  let inFlight = 0;
  let maxInFlight = 0;
  const held: Array<() => void> = [];
  let hold = false;
  const client = {
    transport: {
      async request(params: { path: string; bulkBody?: string; body?: { ids?: string[]; docs?: Array<{ _index: string; _id: string }> } }) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          if (hold) await new Promise<void>((resolve) => held.push(resolve));
          if (params.path === `/${names.eventIdsIndex}/_mget`) {
            return { body: { docs: (params.body?.ids ?? []).map((id) => (claims.has(id) ? { _id: id, found: true, _source: claims.get(id) } : { _id: id, found: false })) } };
          }
          if (params.path === '/_mget') {
            return { body: { docs: (params.body?.docs ?? []).map((d) => (stored.has(`${d._index}/${d._id}`) ? { found: true, _source: { raw: stored.get(`${d._index}/${d._id}`) } } : { found: false })) } };
          }
          const lines = (params.bulkBody ?? '').split('\n').filter((l) => l !== '');
          const pairs = lines.filter((_, i) => i % 2 === 0).map((l, i) => ({ action: JSON.parse(l).create as { _index: string; _id: string }, source: JSON.parse(lines[2 * i + 1] as string) as Record<string, unknown> }));
          if (pairs.every((p) => p.action._index === names.eventIdsIndex)) {
            const items = pairs.map(({ action, source }) => {
              if (claims.has(action._id)) return { create: { status: 409, error: { type: 'version_conflict_engine_exception', reason: 'exists' } } };
              claims.set(action._id, source as { index: string; sha256: string });
              return { create: { status: 201 } };
            });
            return { body: { errors: items.some((i) => i.create.status >= 300), items } };
          }
          const actions = pairs.map((p) => p.action);
          requests.push(actions.map((a) => a._id));
          for (const a of actions) if (!indices.includes(a._index)) indices.push(a._index);
          const items = pairs.map(({ action: a, source }) => {
            const n = (attempts.get(a._id) ?? 0) + 1;
            attempts.set(a._id, n);
            const s = answer(a, n);
            const status = typeof s === 'number' ? s : s.status;
            const type = typeof s === 'number' ? 'x' : s.type;
            if (status < 300 && typeof source.raw === 'string') stored.set(`${a._index}/${a._id}`, source.raw);
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
    claims,
    maxInFlight: () => maxInFlight,
    setHold(on: boolean) {
      hold = on;
      if (!on) held.splice(0).forEach((r) => r());
    },
  };
}

const names = namesFor('ns');
const config = (docs: number, concurrency: number) => ({
  namespace: 'ns',
  names,
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

describe('store-wide event ids', () => {
  const rawOf = (i: number, time: string) => `{"eventID":"e-${i}","eventTime":"${time}"}`;
  const docAt = (i: number, time: string, raw = rawOf(i, time)): EventDoc => ({ ...doc(i), id: `e-${i}`, eventTime: time, raw });

  it('writes an identical copy bound for another index into the index that holds the id, as a duplicate', async () => {
    const fake = fakeClient((_a, attempt) => (attempt > 1 ? 409 : 201));
    const daily = createBulkWriter({ client: fake.client, config: config(10, 1), logger });
    await daily.add('e-1', docAt(1, '2026-03-01T10:00:00Z'));
    expect(await daily.flush()).toMatchObject({ indexed: 1, duplicates: 0, conflicts: 0 });
    const monthly = createBulkWriter({ client: fake.client, config: { ...config(10, 1), index: { period: 'month', retentionDays: 0, shards: 1, replicas: 0 } }, logger });
    await monthly.add('e-1', docAt(1, '2026-03-01T10:00:00Z'));
    expect(await monthly.flush()).toMatchObject({ indexed: 0, duplicates: 1, conflicts: 0 });
    expect(fake.indices).toEqual(['ns-events-2026.03.01']);
  });

  it('keeps a copy with other content as a conflict naming the stored document, within one batch and across batches', async () => {
    const fake = fakeClient(() => 201);
    const writer = createBulkWriter({ client: fake.client, config: config(10, 1), logger });
    await writer.add('e-2', docAt(2, '2026-03-01T10:00:00Z'));
    await writer.add('e-2', docAt(2, '2026-03-02T10:00:00Z'));
    expect(await writer.flush()).toMatchObject({ indexed: 1, duplicates: 0, conflicts: 1 });
    const later = createBulkWriter({ client: fake.client, config: config(10, 1), logger });
    await later.add('e-2', docAt(2, '2026-03-01T10:00:00Z', `${rawOf(2, '2026-03-01T10:00:00Z')} `));
    expect(await later.flush()).toMatchObject({ indexed: 0, conflicts: 1 });
    // Each conflict went to the conflicts index after the batch that found it; the stored copy stays the first one.
    expect(fake.requests).toEqual([['e-2'], [expect.stringMatching(/^[0-9a-f]{64}$/)], [expect.stringMatching(/^[0-9a-f]{64}$/)]]);
    expect(fake.indices).toEqual(['ns-events-2026.03.01', 'ns-conflicts']);
    expect(fake.claims.get('e-2')?.index).toBe('ns-events-2026.03.01');
  });

  it('without uniqueIds (measuring its cost) claims nothing', async () => {
    const fake = fakeClient(() => 201);
    const writer = createBulkWriter({ client: fake.client, config: config(10, 1), logger, uniqueIds: false });
    await writer.add('e-3', docAt(3, '2026-03-01T10:00:00Z'));
    expect(await writer.flush()).toMatchObject({ indexed: 1 });
    expect(fake.claims.size).toBe(0);
  });
});

describe('retries', () => {
  it('measure the retry budget with the injected clock, not the wall clock', async () => {
    let calls = 0;
    const client = {
      transport: {
        async request() {
          calls++;
          throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'ConnectionError' });
        },
      },
    } as unknown as OpenSearchClient;
    let t = Date.parse('2026-03-01T00:00:00Z');
    // Each reading of the clock is a minute later: a budget of 3 minutes is spent after a few attempts.
    const now = () => new Date((t += 60_000));
    const writer = createBulkWriter({ client, config: config(10, 1), logger, now, maxRetryMs: 3 * 60_000, backoffBaseMs: 1, backoffCapMs: 2 });
    await writer.add('id-0', doc(0));
    await expect(writer.flush()).rejects.toMatchObject({ code: 'OPENSEARCH_UNAVAILABLE' });
    expect(calls).toBe(4);
  });

  it('stop waiting when the signal aborts (shutdown), failing the batch with a retryable error', async () => {
    const fake = fakeClient(() => 429);
    const abort = new AbortController();
    // A backoff of an hour: only the abort can end the wait within the test's time.
    const writer = createBulkWriter({ client: fake.client, config: config(10, 1), logger, signal: abort.signal, backoffBaseMs: 3_600_000, backoffCapMs: 3_600_000 });
    await writer.add('id-0', doc(0));
    const flushed = writer.flush();
    await waitUntil(() => writer.stats().retried === 1);
    abort.abort();
    await expect(flushed).rejects.toMatchObject({ code: 'OPENSEARCH_UNAVAILABLE', message: expect.stringContaining('stopped while retrying') });
    expect(fake.requests).toHaveLength(1);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setImmediate(r));
}
