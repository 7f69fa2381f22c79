import { createIngestQueue } from '@trailscope/queue';
import { createRedis } from '@trailscope/runtime';
import { ACCOUNT_A, ACCOUNT_B, seedStore, standardTrail, type SeededStore } from '../query/support/seed';
import { startTestApi, type TestApi } from './support/api-server';

interface Json {
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('HTTP API', () => {
  let store: SeededStore;
  let api: TestApi;
  let admin: string;
  let scoped: string;
  let revoked: string;
  let redis: ReturnType<typeof createRedis>;
  const secrets: string[] = [];

  beforeAll(async () => {
    store = await seedStore('t-api', standardTrail(31));
    redis = createRedis(store.config);
    const queue = createIngestQueue(store.config, redis);
    api = await startTestApi(store, {
      queueCounts: async () => {
        const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
        return { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
      },
    });
    const a = await api.keys.create({ name: 'admin' });
    const s = await api.keys.create({ name: 'team-a', accounts: [ACCOUNT_A] });
    const r = await api.keys.create({ name: 'old' });
    await api.keys.revoke(r.id);
    secrets.push(a.secret, s.secret, r.secret);
    admin = `${a.id}.${a.secret}`;
    scoped = `${s.id}.${s.secret}`;
    revoked = `${r.id}.${r.secret}`;
  });
  afterAll(async () => {
    await api?.close();
    redis?.disconnect();
    await store?.close();
  });

  async function call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: Json; headers: Headers }> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${api.url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Json, headers: res.headers };
  }

  describe('authentication', () => {
    it.each([
      ['no key', undefined],
      ['a malformed key', 'nonsense'],
      ['a wrong secret', () => `${admin.split('.')[0]}.wrongsecret`],
      ['an unknown key', () => `TSAAAAAAAAAAAAAAAAAA.${admin.split('.')[1]}`],
      ['a revoked key', () => revoked],
    ])('answers 401 to %s', async (_why, token) => {
      const t = typeof token === 'function' ? token() : token;
      const res = await call('GET', '/v1/events', t);
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String), requestId: expect.any(String) } });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(res.headers.get('x-request-id')).toBe(res.json.error.requestId);
    });

    it('serves health and the OpenAPI document without a key', async () => {
      const health = await call('GET', '/v1/health');
      expect(health.status).toBe(200);
      expect(health.json).toEqual({ status: 'ok', opensearch: { status: expect.stringMatching(/green|yellow/) } });
      const doc = await call('GET', '/v1/openapi.json');
      expect(doc.status).toBe(200);
      expect(doc.json.openapi).toBe('3.1.0');
      expect(doc.json.components.schemas.SearchRequest.properties.accounts).toBeDefined();
    });
  });

  describe('events', () => {
    it('searches with a query string, repeated parameters and field filters', async () => {
      const want = store.want((e) => [ACCOUNT_A, ACCOUNT_B].includes(e.record.recipientAccountId) && e.record.requestParameters?.bucketName === 'logs-1');
      expect(want.length).toBeGreaterThan(0);
      const res = await call('GET', `/v1/events?accounts=${ACCOUNT_A}&accounts=${ACCOUNT_B}&field=requestParameters.bucketName%3Dlogs-1&pageSize=1000`, admin);
      expect(res.status).toBe(200);
      expect(res.json.total).toBe(want.length);
      expect(res.json.events.map((e: Json) => e.id).sort()).toEqual(want);
      expect(res.json.cursor).toBeUndefined();
    });

    it('pages through POST /v1/events with the cursor', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await call('POST', '/v1/events', admin, { regions: ['eu-west-1'], pageSize: 40, cursor });
        expect(res.status).toBe(200);
        seen.push(...res.json.events.map((e: Json) => e.id));
        cursor = res.json.cursor;
        pages += 1;
      } while (cursor);
      const want = store.want((e) => e.record.awsRegion === 'eu-west-1');
      expect(seen.sort()).toEqual(want);
      expect(pages).toBe(Math.ceil(want.length / 40));
    });

    it('rejects unknown fields, bad values and bad JSON with 400 naming the field', async () => {
      const unknown = await call('POST', '/v1/events', admin, { acount: ['1'] });
      expect([unknown.status, unknown.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(unknown.json.error.message).toMatch(/^acount: /);
      const bad = await call('GET', '/v1/events?readOnly=maybe', admin);
      expect([bad.status, bad.json.error.message]).toEqual([400, expect.stringMatching(/^readOnly: /)]);
      const json = await call('POST', '/v1/events', admin, '{"accounts": [');
      expect([json.status, json.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      const cursor = await call('POST', '/v1/events', admin, { cursor: 'Zm9v' });
      expect([cursor.status, cursor.json.error.code]).toEqual([400, 'INVALID_CURSOR']);
    });

    it('gets one event, with the raw record on request', async () => {
      const e = store.events[3]!;
      const res = await call('GET', `/v1/events/${e.id}?includeRaw=true`, admin);
      expect(res.status).toBe(200);
      expect(res.json.event.id).toBe(e.id);
      expect(res.json.event.raw).toBe(e.raw);
      const missing = await call('GET', '/v1/events/does-not-exist', admin);
      expect([missing.status, missing.json.error.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('answers unknown routes with a JSON 404', async () => {
      const res = await call('GET', '/v1/nope', admin);
      expect([res.status, res.json.error.code]).toEqual([404, 'NOT_FOUND']);
    });
  });

  describe('a key scoped to one account', () => {
    const other = () => store.events.find((e) => e.record.recipientAccountId === ACCOUNT_B)!;

    it('sees only its account through GET and POST search', async () => {
      const want = store.want((e) => e.record.recipientAccountId === ACCOUNT_A);
      const get = await call('GET', '/v1/events?pageSize=1000', scoped);
      expect(get.json.events.map((e: Json) => e.id).sort()).toEqual(want);
      const post = await call('POST', '/v1/events', scoped, { pageSize: 1000, text: other().id });
      expect(post.json.events).toEqual([]);
    });

    it('gets 403 when it asks for another account explicitly', async () => {
      for (const res of [
        await call('GET', `/v1/events?accounts=${ACCOUNT_B}`, scoped),
        await call('POST', '/v1/events', scoped, { accounts: [ACCOUNT_A, ACCOUNT_B] }),
        await call('POST', '/v1/aggregations', scoped, { accounts: [ACCOUNT_B], aggs: { n: { type: 'terms', field: 'eventName' } } }),
      ]) {
        expect([res.status, res.json.error.code]).toEqual([403, 'FORBIDDEN']);
      }
    });

    it('cannot read another account\'s event by id', async () => {
      const res = await call('GET', `/v1/events/${other().id}`, scoped);
      expect(res.status).toBe(404);
      expect((await call('GET', `/v1/events/${other().id}`, admin)).status).toBe(200);
    });

    it('aggregates only its account', async () => {
      const res = await call('POST', '/v1/aggregations', scoped, { aggs: { accounts: { type: 'terms', field: 'account' }, users: { type: 'cardinality', field: 'userArn' } } });
      expect(res.status).toBe(200);
      expect(res.json.total).toBe(store.want((e) => e.record.recipientAccountId === ACCOUNT_A).length);
      expect(res.json.aggs.accounts.buckets.map((b: Json) => b.key)).toEqual([ACCOUNT_A]);
    });

    it('may not read cluster-wide stats', async () => {
      const res = await call('GET', '/v1/stats', scoped);
      expect([res.status, res.json.error.code]).toEqual([403, 'FORBIDDEN']);
    });
  });

  it('aggregates for an unrestricted key', async () => {
    const res = await call('POST', '/v1/aggregations', admin, { errorsOnly: true, aggs: { accounts: { type: 'terms', field: 'account', size: 10 } } });
    expect(res.status).toBe(200);
    const failed = store.events.filter((e) => e.record.errorCode !== undefined);
    expect(res.json.total).toBe(failed.length);
    expect(res.json.aggs.accounts.buckets.reduce((n: number, b: Json) => n + b.count, 0)).toBe(failed.length);
  });

  it('reports ingest lag, queue depth, failed files and index sizes', async () => {
    const res = await call('GET', '/v1/stats', admin);
    expect(res.status).toBe(200);
    const newest = store.events.map((e) => String(e.record.eventTime)).sort().pop()!;
    expect(res.json.events).toEqual(expect.objectContaining({ total: store.events.length, newestEventTime: new Date(newest).toISOString(), newestIngestedAt: expect.any(String) }));
    expect(res.json.ingestLagMs).toBeGreaterThan(0);
    expect(res.json.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0, depth: 0 });
    expect(res.json.failedFiles).toBe(0);
    const docs = res.json.indices.reduce((n: number, i: Json) => n + i.docs, 0);
    expect(docs).toBe(store.events.length);
    expect(res.json.totalBytes).toBeGreaterThan(0);
  });

  it('revokes a key at once and never logs secrets', async () => {
    const k = await api.keys.create({ name: 'short-lived' });
    secrets.push(k.secret);
    expect((await call('GET', '/v1/events?pageSize=1', `${k.id}.${k.secret}`)).status).toBe(200);
    await api.keys.revoke(k.id);
    expect((await call('GET', '/v1/events?pageSize=1', `${k.id}.${k.secret}`)).status).toBe(401);
    const logs = api.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const s of secrets) expect(logs).not.toContain(s);
  });
});
