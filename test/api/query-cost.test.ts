import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import fc from 'fast-check';
import { createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import { QUERY_LIMITS } from '@trailscope/query';
import { ACCOUNT_A, seedStore, standardTrail, type SeededStore } from '../query/support/seed';
import { startTestApi, type TestApi } from './support/api-server';

interface Json {
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

interface Answer {
  status: number;
  json: Json;
}

const long = (n: number, c = 'u') => c.repeat(n);

/** A request over one limit: where it goes, what it asks, and the field and limit the refusal must name. */
interface Variant {
  what: string;
  path: string;
  /** JSON body of a POST; undefined: a GET whose query is in the path. */
  body: unknown;
  field: string;
  limit: number;
}

const L = QUERY_LIMITS;
/** Fixed so that a failure reproduces; fast-check prints the seed and the shrunk counterexample. */
const GENERATED_SEED = Number(process.env.TRAILSCOPE_TEST_SEED ?? 20261202);
const GENERATED_RUNS = 150;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

const aggName = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const termsField = fc.constantFrom('account', 'region', 'eventName', 'eventSource', 'userArn');
const shortName = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/).filter((v) => v.trim() === v);
const viaQuery = fc.boolean();

function eventsRequest(what: string, input: Record<string, string | string[]>, field: string, limit: number, get: boolean): Variant {
  if (!get) return { what, path: '/v1/events', body: input, field, limit };
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(input)) for (const one of Array.isArray(v) ? v : [v]) qs.append(k, one);
  return { what: `${what} (query string)`, path: `/v1/events?${qs.toString()}`, body: undefined, field, limit };
}

/** An interval of `unit` whose step is at most maxStepMs (at least one unit). */
function intervalAtMost(maxStepMs: number): fc.Arbitrary<{ interval: string; stepMs: number }> {
  const units = (Object.keys(UNIT_MS) as Unit[]).filter((u) => UNIT_MS[u] <= maxStepMs);
  return fc
    .constantFrom(...units)
    .chain((u) => fc.integer({ min: 1, max: Math.min(999_999, Math.floor(maxStepMs / UNIT_MS[u])) }).map((n) => ({ interval: `${n}${u}`, stepMs: n * UNIT_MS[u] })));
}

/** A histogram over an explicit range with more than the bucket limit, at the top or under a small terms. */
const histogramOverRange: fc.Arbitrary<Variant> = fc
  .record({
    spanMs: fc.integer({ min: 86_400_000, max: 20 * 365 * 86_400_000 }),
    endMs: fc.integer({ min: Date.parse('2021-01-01T00:00:00Z'), max: Date.parse('2026-01-01T00:00:00Z') }),
    name: aggName,
    parent: fc.option(fc.record({ name: aggName, field: termsField, size: fc.integer({ min: 1, max: 20 }) }), { nil: undefined }),
  })
  .chain((r) => intervalAtMost(Math.floor(r.spanMs / (L.aggBuckets * 1.2))).map((iv) => ({ ...r, ...iv })))
  .map(({ spanMs, endMs, name, parent, interval }) => {
    const histogram = { type: 'date_histogram', interval };
    const range = { from: new Date(endMs - spanMs).toISOString(), to: new Date(endMs).toISOString() };
    if (!parent) return { what: `interval ${interval} over ${range.from}..${range.to}`, path: '/v1/aggregations', body: { ...range, aggs: { [name]: histogram } }, field: `aggs.${name}.interval`, limit: L.aggBuckets };
    return {
      what: `interval ${interval} under terms of ${parent.size} over ${range.from}..${range.to}`,
      path: '/v1/aggregations',
      body: { ...range, aggs: { [parent.name]: { type: 'terms', field: parent.field, size: parent.size, aggs: { [name]: histogram } } } },
      field: `aggs.${parent.name}.aggs.${name}.interval`,
      limit: L.aggBuckets,
    };
  });

/**
 * A histogram with no range: bounded from the oldest event in the key's scope (March 2026 in the seeded store) to
 * now, so any step of ten minutes or less is over the limit.
 */
const histogramNoRange: fc.Arbitrary<Variant> = fc
  .record({ name: aggName, iv: intervalAtMost(10 * 60_000) })
  .map(({ name, iv }) => ({ what: `interval ${iv.interval} with no range`, path: '/v1/aggregations', body: { aggs: { [name]: { type: 'date_histogram', interval: iv.interval } } }, field: `aggs.${name}.interval`, limit: L.aggBuckets }));

/** Nested terms whose product of sizes passes the bucket limit only at the deepest level (two or three levels). */
const termsProduct: fc.Arbitrary<Variant> = fc
  .oneof(fc.tuple(fc.integer({ min: 11, max: 1000 })), fc.tuple(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 2, max: 30 })))
  .filter((prefix) => prefix.reduce((a, b) => a * b, 1) >= 11)
  .chain((prefix) => {
    const product = prefix.reduce((a, b) => a * b, 1);
    return fc.record({
      prefix: fc.constant(prefix),
      last: fc.integer({ min: Math.floor(L.aggBuckets / product) + 1, max: 1000 }),
      names: fc.uniqueArray(aggName, { minLength: prefix.length + 1, maxLength: prefix.length + 1 }),
      fields: fc.array(termsField, { minLength: prefix.length + 1, maxLength: prefix.length + 1 }),
    });
  })
  .map(({ prefix, last, names, fields }) => {
    const sizes = [...prefix, last];
    let node: Record<string, unknown> | undefined;
    for (let i = sizes.length - 1; i >= 0; i--) node = { [names[i] as string]: { type: 'terms', field: fields[i], size: sizes[i], ...(node ? { aggs: node } : {}) } };
    return { what: `terms sizes ${sizes.join(' × ')}`, path: '/v1/aggregations', body: { aggs: node }, field: `aggs.${names.join('.aggs.')}.size`, limit: L.aggBuckets };
  });

/**
 * Ten sibling terms of 900 to 1,000 buckets each (the sum stays within the limit) and a terms under the last one
 * whose buckets take the sum past it: the refusal names that innermost terms.
 */
const termsSum: fc.Arbitrary<Variant> = fc
  .record({
    sizes: fc.array(fc.integer({ min: 900, max: 1000 }), { minLength: 10, maxLength: 10 }),
    names: fc.uniqueArray(aggName, { minLength: 10, maxLength: 10 }),
    inner: fc.integer({ min: 2, max: 1000 }),
  })
  .filter(({ sizes, inner }) => sizes.reduce((a, b) => a + b, 0) + (sizes[9] as number) * inner > L.aggBuckets)
  .map(({ sizes, names, inner }) => {
    const aggs: Record<string, unknown> = {};
    sizes.forEach((size, i) => (aggs[names[i] as string] = { type: 'terms', field: 'eventName', size }));
    const last = names[9] as string;
    (aggs[last] as Record<string, unknown>).aggs = { inner: { type: 'terms', field: 'region', size: inner } };
    const total = sizes.reduce((a, b) => a + b, 0);
    return { what: `ten sibling terms of ${total} buckets, ${inner} under the last`, path: '/v1/aggregations', body: { aggs }, field: `aggs.${last}.aggs.inner.size`, limit: L.aggBuckets };
  });

/** More aggregation nodes than the limit, spread over up to ten top-level terms and three levels, every size 1. */
const tooManyNodes: fc.Arbitrary<Variant> = fc
  .record({
    names: fc.uniqueArray(aggName, { minLength: 1, maxLength: 10 }),
    children: fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }), { minLength: 10, maxLength: 10 }),
  })
  .map(({ names, children }) => {
    let nodes = 0;
    const aggs: Record<string, unknown> = {};
    names.forEach((name, i) => {
      nodes += 1;
      const sub: Record<string, unknown> = {};
      (children[i] as number[]).forEach((grand, j) => {
        nodes += 1 + grand;
        sub[`c${j}`] =
          grand === 0
            ? { type: 'cardinality', field: 'eventName' }
            : { type: 'terms', field: 'region', size: 1, aggs: Object.fromEntries(Array.from({ length: grand }, (_, k) => [`g${k}`, { type: 'cardinality', field: 'userArn' }])) };
      });
      aggs[name] = { type: 'terms', field: 'account', size: 1, ...(Object.keys(sub).length > 0 ? { aggs: sub } : {}) };
    });
    return { nodes, aggs };
  })
  .filter(({ nodes }) => nodes > L.aggNodes)
  .map(({ nodes, aggs }) => ({ what: `${nodes} aggregation nodes`, path: '/v1/aggregations', body: { aggs }, field: 'aggs', limit: L.aggNodes }));

const suffixField = fc.constantFrom('users', 'resourceNames');

/** More names than the limit in users or resourceNames (each name itself within its length limit). */
const tooManyNames: fc.Arbitrary<Variant> = fc
  .record({ field: suffixField, values: fc.uniqueArray(shortName, { minLength: L.suffixValues + 1, maxLength: 60 }), get: viaQuery })
  .map(({ field, values, get }) => eventsRequest(`${values.length} ${field}`, { [field]: values }, field, L.suffixValues, get));

/** One name over the length limit among a few that are within it. */
const tooLongName: fc.Arbitrary<Variant> = fc
  .record({
    field: suffixField,
    values: fc.uniqueArray(shortName, { minLength: 0, maxLength: L.suffixValues - 1 }),
    long: fc.integer({ min: L.suffixValueChars + 1, max: 2048 }).chain((n) => fc.stringMatching(new RegExp(`^[a-zA-Z0-9_.-]{${n}}$`))),
    at: fc.nat(),
    get: viaQuery,
  })
  .map(({ field, values, long, at, get }) => {
    const all = [...values];
    all.splice(at % (values.length + 1), 0, long);
    return eventsRequest(`${field} with a name of ${long.length} characters`, { [field]: all }, field, L.suffixValueChars, get);
  });

const tooLongUserAgent: fc.Arbitrary<Variant> = fc
  .record({ n: fc.integer({ min: L.userAgentChars + 1, max: 1024 }), get: viaQuery })
  .chain(({ n, get }) => fc.stringMatching(new RegExp(`^[a-zA-Z0-9/.() -]{${n}}$`)).map((ua) => ({ ua: `a${ua.slice(1, -1)}a`, get })))
  .map(({ ua, get }) => eventsRequest(`a user agent of ${ua.length} characters`, { userAgent: ua }, 'userAgent', L.userAgentChars, get));

/** More text terms than the limit, some with the fuzzy and prefix operators that are not honoured. */
const tooManyTerms: fc.Arbitrary<Variant> = fc
  .record({
    terms: fc.array(fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.constantFrom('', '', '~2', '~1', '*')), { minLength: L.textTerms + 1, maxLength: 90 }),
    get: viaQuery,
  })
  .map(({ terms, get }) => ({ text: terms.map(([w, op]) => `w${w}${op}`).join(' '), count: terms.length, get }))
  .filter(({ text }) => text.length <= 1024)
  .map(({ text, count, get }) => eventsRequest(`text of ${count} terms`, { text }, 'text', L.textTerms, get));

const oversized: fc.Arbitrary<Variant> = fc.oneof(
  histogramOverRange,
  histogramNoRange,
  termsProduct,
  termsSum,
  tooManyNodes,
  tooManyNames,
  tooLongName,
  tooLongUserAgent,
  tooManyTerms,
);

/** The same shapes at their limits: answered 200, so the limits refuse what is over them and nothing more. */
const withinLimits: fc.Arbitrary<Omit<Variant, 'field' | 'limit'>> = fc.oneof(
  fc
    .record({ field: suffixField, values: fc.uniqueArray(shortName, { minLength: 1, maxLength: L.suffixValues }), get: viaQuery })
    .map(({ field, values, get }) => eventsRequest(`${values.length} ${field}`, { [field]: values }, field, 0, get)),
  fc
    .stringMatching(new RegExp(`^[a-zA-Z0-9_.-]{${L.suffixValueChars}}$`))
    .map((name) => eventsRequest('a name at the length limit', { users: [name] }, 'users', 0, false)),
  fc
    .array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: L.textTerms })
    .map((words) => eventsRequest(`text of ${words.length} terms`, { text: words.map((w) => `w${w}`).join(' ') }, 'text', 0, false)),
  fc
    .tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }))
    .filter(([a, b]) => a + a * b <= L.aggBuckets)
    .map(([a, b]) => ({ what: `terms ${a} × ${b}`, path: '/v1/aggregations', body: { aggs: { a: { type: 'terms', field: 'account', size: a, aggs: { b: { type: 'terms', field: 'eventName', size: b } } } } } })),
  fc.constantFrom('1d', 'day', 'week', '12h').map((interval) => ({ what: `interval ${interval} with no range`, path: '/v1/aggregations', body: { aggs: { h: { type: 'date_histogram', interval } } } })),
);

/**
 * The requests that stalled or crashed a 1 GiB node, and oversized variants of each, against the real server and
 * OpenSearch: each is refused 400 QUERY_TOO_COSTLY naming the field and the limit, before OpenSearch is asked
 * for it, while a normal search keeps being answered and the node stays up.
 */
describe('queries over a cost limit', () => {
  let store: SeededStore;
  let api: TestApi;
  let observed: OpenSearchClient;
  const sentBodies: string[] = [];
  let token: string;
  let other: string;
  let sdkKey: { id: string; secret: string };

  beforeAll(async () => {
    store = await seedStore('t-cost', standardTrail(17));
    // the server's own client, observed: every request body it sends to OpenSearch is recorded
    observed = createOpenSearchClient(store.config);
    observed.on('request', (_err, event) => {
      const body = (event as { meta?: { request?: { params?: { body?: unknown } } } }).meta?.request?.params?.body;
      sentBodies.push(typeof body === 'string' ? body : JSON.stringify(body ?? ''));
    });
    api = await startTestApi(store, { client: observed, keyLimits: { ratePerWindow: 0, windowMs: 60_000, maxConcurrent: 0 } });
    const a = await api.keys.create({ name: 'attacker', accounts: [ACCOUNT_A] });
    const b = await api.keys.create({ name: 'analyst' });
    token = `${a.id}.${a.secret}`;
    other = `${b.id}.${b.secret}`;
    sdkKey = a;
  });
  afterAll(async () => {
    await api?.close();
    await observed?.close();
    await store?.close();
  });

  async function call(path: string, body: unknown, key = token): Promise<Answer> {
    const res = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Json };
  }

  const subAggs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, { type: 'cardinality', field: 'eventName' }]));
  const names = (n: number, chars: number) => Array.from({ length: n }, (_, i) => `${long(chars - 3)}${String(i).padStart(3, '0')}`);

  // The four requests that took the node down: [what, path, body, field the refusal names, limit]
  const crashing: Array<[string, string, unknown, string, number]> = [
    ['the 57-byte histogram of 1ms with no range', '/v1/aggregations', '{"aggs":{"h":{"type":"date_histogram","interval":"1ms"}}}', 'aggs.h.interval', QUERY_LIMITS.aggBuckets],
    ['users with 50 values of 2,000 characters', '/v1/events', { users: names(50, 2000) }, 'users', QUERY_LIMITS.suffixValues],
    ['10 aggregations of 300 sub-aggregations', '/v1/aggregations', { aggs: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, { type: 'terms', field: 'account', aggs: subAggs(300) }])) }, 'aggs', QUERY_LIMITS.aggNodes],
    ['text with 56 fuzzy ~2 terms', '/v1/events', { text: Array.from({ length: 56 }, (_, i) => `word${i}~2`).join(' ') }, 'text', QUERY_LIMITS.textTerms],
  ];

  async function send(path: string, body: unknown): Promise<Answer> {
    if (body !== undefined) return call(path, body);
    const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, json: (await res.json()) as Json };
  }

  async function expectRefused(v: Variant): Promise<void> {
    const before = sentBodies.length;
    const res = await send(v.path, v.body);
    expect([v.what, res.status, res.json.error?.code]).toEqual([v.what, 400, 'QUERY_TOO_COSTLY']);
    expect(res.json.error.message.startsWith(`${v.field}: `)).toBe(true);
    expect(res.json.error.message).toContain(String(v.limit));
    // OpenSearch saw at most the cheap min aggregation that bounds a histogram, never the refused query
    const sent = sentBodies.slice(before).filter((b) => b.includes('"query"'));
    for (const b of sent) {
      expect(b).not.toContain('date_histogram');
      expect(b).not.toContain('wildcard');
      expect(b).not.toContain('regexp');
      expect(b).not.toContain('simple_query_string');
      expect(b).not.toContain('"terms":{"field"');
    }
  }

  it.each(crashing)('refuses %s with QUERY_TOO_COSTLY naming the field and the limit', async (what, path, body, field, limit) => {
    await expectRefused({ what, path, body, field, limit });
  });

  it('refuses every generated request over a limit, naming the field and the limit, before OpenSearch sees it', async () => {
    await fc.assert(
      fc.asyncProperty(oversized, async (v) => {
        await expectRefused(v);
      }),
      { numRuns: GENERATED_RUNS, seed: GENERATED_SEED },
    );
  });

  it('answers requests just under every limit (the generated shapes, one step smaller)', async () => {
    await fc.assert(
      fc.asyncProperty(withinLimits, async (v) => {
        const res = await send(v.path, v.body);
        expect([v.what, res.status]).toEqual([v.what, 200]);
      }),
      { numRuns: 40, seed: GENERATED_SEED },
    );
  });

  it('refuses the same on LookupEvents attributes', async () => {
    const sdk = new CloudTrailClient({ endpoint: api.url, region: 'us-east-1', credentials: { accessKeyId: sdkKey.id, secretAccessKey: sdkKey.secret }, maxAttempts: 1 });
    for (const key of ['Username', 'ResourceName'] as const) {
      const err = await sdk.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: key, AttributeValue: long(2000) }] })).then(
        () => undefined,
        (e: { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }) => e,
      );
      expect(err?.$metadata?.httpStatusCode).toBe(400);
      expect(err?.name).not.toMatch(/Internal|ServiceUnavailable|Throttling/);
      expect(err?.message).toContain(String(QUERY_LIMITS.suffixValueChars));
    }
  });

  it('keeps answering a normal search while every costly request is refused, and the node stays up', async () => {
    const want = store.want((e) => e.record.recipientAccountId === ACCOUNT_A);
    const normal = () => call('/v1/events', { accounts: [ACCOUNT_A], pageSize: 1000 }, other);
    const [refused, answered] = await Promise.all([
      Promise.all([...crashing.map(([what, path, body, field, limit]) => ({ what, path, body, field, limit })), ...fc.sample(oversized, { numRuns: 40, seed: GENERATED_SEED })].map((v) => send(v.path, v.body))),
      Promise.all([normal(), normal(), normal()]),
    ]);
    expect(refused.map((r) => [r.status, r.json.error?.code])).toEqual(refused.map(() => [400, 'QUERY_TOO_COSTLY']));
    for (const a of answered) {
      expect(a.status).toBe(200);
      expect(a.json.events.map((e: Json) => e.id).sort()).toEqual(want);
    }
    const health = (await store.client.cluster.health({ timeout: '10s' } as never)).body as { status: string; number_of_nodes: number };
    expect(health.number_of_nodes).toBeGreaterThanOrEqual(1);
    expect(['green', 'yellow']).toContain(health.status);
    const stats = (await store.client.nodes.stats({ metric: 'jvm' } as never)).body as { nodes: Record<string, { jvm: { uptime_in_millis: number } }> };
    expect(Object.keys(stats.nodes).length).toBeGreaterThanOrEqual(1);
  });

  it('still answers histograms without a range over the store, bounded by its oldest event', async () => {
    const res = await call('/v1/aggregations', { aggs: { daily: { type: 'date_histogram', interval: '1d' } } }, other);
    expect(res.status).toBe(200);
    const buckets = res.json.aggs.daily.buckets as Array<{ key: string; count: number }>;
    const oldest = store.events.map((e) => String(e.record.eventTime)).sort()[0]!;
    expect(buckets[0]?.key).toBe(`${oldest.slice(0, 10)}T00:00:00.000Z`);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(store.events.length);
  });
});
