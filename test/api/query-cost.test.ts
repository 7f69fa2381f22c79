import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
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

  // [what, path, body, field the refusal names, limit]
  const costly: Array<[string, string, unknown, string, number]> = [
    ['the 57-byte histogram of 1ms with no range', '/v1/aggregations', '{"aggs":{"h":{"type":"date_histogram","interval":"1ms"}}}', 'aggs.h.interval', QUERY_LIMITS.aggBuckets],
    ['users with 50 values of 2,000 characters', '/v1/events', { users: names(50, 2000) }, 'users', QUERY_LIMITS.suffixValues],
    ['10 aggregations of 300 sub-aggregations', '/v1/aggregations', { aggs: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, { type: 'terms', field: 'account', aggs: subAggs(300) }])) }, 'aggs', QUERY_LIMITS.aggNodes],
    ['text with 56 fuzzy ~2 terms', '/v1/events', { text: Array.from({ length: 56 }, (_, i) => `word${i}~2`).join(' ') }, 'text', QUERY_LIMITS.textTerms],
    // oversized variants, one step over each limit
    ['a 1m histogram with no range', '/v1/aggregations', { aggs: { perMinute: { type: 'date_histogram', interval: '1m' } } }, 'aggs.perMinute.interval', QUERY_LIMITS.aggBuckets],
    ['a 1m histogram over six years', '/v1/aggregations', { from: '2020-01-01', to: '2026-01-01', aggs: { h: { type: 'date_histogram', interval: '1m' } } }, 'aggs.h.interval', QUERY_LIMITS.aggBuckets],
    ['a daily histogram under 500 terms', '/v1/aggregations', { from: '2026-01-01', aggs: { u: { type: 'terms', field: 'userArn', size: 500, aggs: { d: { type: 'date_histogram', interval: '1d' } } } } }, 'aggs.u.aggs.d.interval', QUERY_LIMITS.aggBuckets],
    ['terms of 1,000 under terms of 1,000', '/v1/aggregations', { aggs: { a: { type: 'terms', field: 'account', size: 1000, aggs: { b: { type: 'terms', field: 'userArn', size: 1000 } } } } }, 'aggs.a.aggs.b.size', QUERY_LIMITS.aggBuckets],
    ['51 aggregations over three levels', '/v1/aggregations', { aggs: { a: { type: 'terms', field: 'account', size: 1, aggs: { b: { type: 'terms', field: 'region', size: 1, aggs: subAggs(49) } } } } }, 'aggs', QUERY_LIMITS.aggNodes],
    ['11 user names', '/v1/events', { users: names(11, 20) }, 'users', QUERY_LIMITS.suffixValues],
    ['a user name one character over', '/v1/events', { users: [long(QUERY_LIMITS.suffixValueChars + 1)] }, 'users', QUERY_LIMITS.suffixValueChars],
    ['11 resource names', '/v1/events', { resourceNames: names(11, 30) }, 'resourceNames', QUERY_LIMITS.suffixValues],
    ['a resource name one character over', '/v1/events', { resourceNames: [long(QUERY_LIMITS.suffixValueChars + 1, 'r')] }, 'resourceNames', QUERY_LIMITS.suffixValueChars],
    ['a user agent one character over', '/v1/events', { userAgent: long(QUERY_LIMITS.userAgentChars + 1, 'a') }, 'userAgent', QUERY_LIMITS.userAgentChars],
    ['text one term over', '/v1/events', { text: Array.from({ length: QUERY_LIMITS.textTerms + 1 }, (_, i) => `t${i}`).join(' ') }, 'text', QUERY_LIMITS.textTerms],
    ['the same limits on the query string', '/v1/events?users=' + names(11, 20).join('&users='), undefined, 'users', QUERY_LIMITS.suffixValues],
  ];

  async function send(path: string, body: unknown): Promise<Answer> {
    if (body !== undefined) return call(path, body);
    const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, json: (await res.json()) as Json };
  }

  it.each(costly)('refuses %s with QUERY_TOO_COSTLY naming the field and the limit', async (_what, path, body, field, limit) => {
    const before = sentBodies.length;
    const res = await send(path, body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('QUERY_TOO_COSTLY');
    expect(res.json.error.message.startsWith(`${field}: `)).toBe(true);
    expect(res.json.error.message).toContain(String(limit));
    // OpenSearch saw at most the cheap min aggregation that bounds a histogram, never the refused query
    const sent = sentBodies.slice(before).filter((b) => b.includes('"query"'));
    for (const b of sent) {
      expect(b).not.toContain('date_histogram');
      expect(b).not.toContain('wildcard');
      expect(b).not.toContain('simple_query_string');
      expect(b).not.toContain('"terms":{"field"');
    }
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
      Promise.all([...costly, ...costly].map(([, path, body]) => send(path, body))),
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
