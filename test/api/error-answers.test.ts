import { createServer } from 'node:net';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { createKeyStore } from '@trailscope/api';
import { createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, makeConfig, testEnv, uniqueNamespace } from '../support/env';
import { ACCOUNT_B, seedStore, standardTrail, type SeededStore } from '../query/support/seed';
import { SERVER_KEY, startTestApi, type TestApi } from './support/api-server';
import { leaksIn, type ErrorBody } from './support/error-bodies';

interface Json {
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

interface Answer {
  status: number;
  json: Json;
  headers: Headers;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The log lines the server wrote under one request id. */
const linesOf = (api: TestApi, requestId: string) =>
  api
    .logs()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Json)
    .filter((l) => l.reqId === requestId);

/**
 * Every error path the API has, provoked against real services: callers' mistakes, a cluster that does not answer,
 * a key store sealed under another server key, an index OpenSearch refuses to read. Every answer is checked for
 * what it must not say (index names, service addresses, exception classes, key ids) and for the request id the log
 * keeps the detail under.
 */
describe('error answers', () => {
  let store: SeededStore;
  let api: TestApi;
  let admin: string;
  let scoped: string;
  let adminKey: { id: string; secret: string };
  const collected: ErrorBody[] = [];
  const namespaces: string[] = [];

  beforeAll(async () => {
    store = await seedStore('t-errors', standardTrail(81, { eventsPerFile: 3 }));
    namespaces.push(store.ns);
    api = await startTestApi(store);
    adminKey = await api.keys.create({ name: 'admin' });
    const s = await api.keys.create({ name: 'scoped', accounts: ['111111111111'] });
    admin = `${adminKey.id}.${adminKey.secret}`;
    scoped = `${s.id}.${s.secret}`;
  });
  afterAll(async () => {
    if (api) collected.push(...api.errorBodies());
    await api?.close();
    await store?.close();
  });

  async function call(target: TestApi, method: string, path: string, token?: string, body?: string, contentType = 'application/json'): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = contentType;
    const res = await fetch(`${target.url}${path}`, { method, headers, body });
    const text = await res.text();
    let json: Json;
    try {
      json = JSON.parse(text) as Json;
    } catch {
      json = { text };
    }
    return { status: res.status, json, headers: res.headers };
  }

  const expectCoded = (res: Answer, status: number, code: string) => {
    expect([res.status, res.json.error?.code]).toEqual([status, code]);
    expect(res.json.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-request-id')).toBe(res.json.error.requestId);
  };

  it('answers the caller\'s mistakes with its field and the request id', async () => {
    const cases: Array<[Promise<Answer>, number, string, RegExp?]> = [
      [call(api, 'GET', '/v1/events'), 401, 'UNAUTHORIZED'],
      [call(api, 'GET', '/v1/events', 'nonsense'), 401, 'UNAUTHORIZED'],
      [call(api, 'GET', '/v1/events', `${adminKey.id}.wrong`), 401, 'UNAUTHORIZED'],
      [call(api, 'GET', '/v1/events', `TSAAAAAAAAAAAAAAAAAA.${adminKey.secret}`), 401, 'UNAUTHORIZED'],
      [call(api, 'GET', `/v1/events?accounts=${ACCOUNT_B}`, scoped), 403, 'FORBIDDEN', /^accounts: /],
      [call(api, 'GET', '/v1/stats', scoped), 403, 'FORBIDDEN'],
      [call(api, 'GET', '/v1/files', scoped), 403, 'FORBIDDEN', /^files: /],
      [call(api, 'GET', '/v1/nope', admin), 404, 'NOT_FOUND'],
      [call(api, 'GET', '/v1/events/no-such-event', admin), 404, 'NOT_FOUND', /^eventId: /],
      [call(api, 'POST', '/v1/events', admin, '{"acount": ["1"]}'), 400, 'VALIDATION_FAILED', /^acount: /],
      [call(api, 'POST', '/v1/events', admin, '{"accounts": ['), 400, 'VALIDATION_FAILED'],
      [call(api, 'POST', '/v1/events', admin, '{"__proto__": {"x": 1}}'), 400, 'VALIDATION_FAILED'],
      [call(api, 'POST', '/v1/events', admin, '<a/>', 'application/xml'), 415, 'VALIDATION_FAILED'],
      [call(api, 'POST', '/v1/events', admin, JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) })), 413, 'VALIDATION_FAILED'],
      [call(api, 'GET', '/v1/events?constructor=x', admin), 400, 'VALIDATION_FAILED', /"constructor" is not allowed/],
      [call(api, 'GET', '/v1/events?prototype=x&prototype=y', admin), 400, 'VALIDATION_FAILED', /"prototype" is not allowed/],
      [call(api, 'GET', '/v1/events?__proto__=x&__proto__=y', admin), 400, 'VALIDATION_FAILED', /"__proto__" is not allowed/],
      [call(api, 'GET', '/v1/events?field=__proto__.x%3D1', admin), 400, 'VALIDATION_FAILED', /"__proto__" is not allowed/],
      [call(api, 'POST', '/v1/events', admin, JSON.stringify({ cursor: 'Zm9v.YmFy' })), 400, 'INVALID_CURSOR', /^cursor: /],
      [call(api, 'POST', '/v1/aggregations', admin, JSON.stringify({ aggs: { a: { type: 'terms', field: 'raw' } } })), 400, 'VALIDATION_FAILED'],
      [call(api, 'GET', '/v1/events/x?includeRaw=maybe', admin), 400, 'VALIDATION_FAILED', /^includeRaw: /],
    ];
    for (const [answer, status, code, message] of cases) {
      const res = await answer;
      expectCoded(res, status, code);
      if (message) expect(res.json.error.message).toMatch(message);
    }
    // nothing reached a prototype
    expect(({} as Json).x).toBeUndefined();
    // unknown, wrong and revoked keys are told apart by nothing
    const unauthorized = await Promise.all([call(api, 'GET', '/v1/events', `${adminKey.id}.wrong`), call(api, 'GET', '/v1/events', `TSAAAAAAAAAAAAAAAAAA.${adminKey.secret}`)]);
    expect(new Set(unauthorized.map((r) => r.json.error.message)).size).toBe(1);
  });

  it('answers LookupEvents errors in AWS\'s shape without internal detail', async () => {
    const ct = new CloudTrailClient({ endpoint: api.url, region: 'us-east-1', credentials: { accessKeyId: adminKey.id, secretAccessKey: adminKey.secret }, maxAttempts: 1 });
    for (const input of [{ NextToken: 'forged' }, { MaxResults: 0 }, { LookupAttributes: [{ AttributeKey: 'Bogus' as never, AttributeValue: 'x' }] }]) {
      await expect(ct.send(new LookupEventsCommand(input))).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    }
    const unsigned = await fetch(`${api.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CloudTrail_20131101.LookupEvents' }, body: '{}' });
    expect(unsigned.status).toBe(403);
  });

  it('answers 503 without the cluster address when OpenSearch does not answer, and logs the detail under the request id', async () => {
    const port = await closedPort();
    const dead: OpenSearchClient = createOpenSearchClient(makeConfig(store.ns, { OPENSEARCH_URL: `http://127.0.0.1:${port}` }));
    const down = await startTestApi(store, { client: dead });
    try {
      const res = await call(down, 'GET', '/v1/events', admin);
      expectCoded(res, 503, 'OPENSEARCH_UNAVAILABLE');
      expect(res.json.error.message).toBe('a service this API depends on is unavailable; retry later');
      const logged = JSON.stringify(linesOf(down, res.json.error.requestId));
      expect(logged).toContain(String(port));
      expect(logged).toContain(store.config.names.keysIndex);

      const health = await call(down, 'GET', '/v1/health');
      expect([health.status, health.json]).toEqual([503, { status: 'unavailable', opensearch: { status: 'unreachable' } }]);

      const ct = new CloudTrailClient({ endpoint: down.url, region: 'us-east-1', credentials: { accessKeyId: adminKey.id, secretAccessKey: adminKey.secret }, maxAttempts: 1 });
      await expect(ct.send(new LookupEventsCommand({}))).rejects.toMatchObject({ name: 'ServiceUnavailableException', $metadata: { httpStatusCode: 503 } });
    } finally {
      collected.push(...down.errorBodies());
      await down.close();
      await dead.close();
    }
  });

  it('answers 401, not 500, when the key store was sealed under another server key', async () => {
    const rekeyed = await startTestApi(store, { serverKey: 'another-server-key-0123456789abcdef0123' });
    try {
      const res = await call(rekeyed, 'GET', '/v1/events', admin);
      expectCoded(res, 401, 'UNAUTHORIZED');
      const unknown = await call(rekeyed, 'GET', '/v1/events', `TSAAAAAAAAAAAAAAAAAA.${adminKey.secret}`);
      expect(res.json.error.message).toBe(unknown.json.error.message);
      const logged = linesOf(rekeyed, res.json.error.requestId);
      expect(logged.some((l) => l.level === 50 && /cannot be opened/.test(String(l.msg)))).toBe(true);
      expect(JSON.stringify(logged)).toContain(adminKey.id);

      // through SigV4 too, the same answer as for a key id that does not exist
      const nameOf = async (accessKeyId: string) => {
        const ct = new CloudTrailClient({ endpoint: rekeyed.url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: adminKey.secret }, maxAttempts: 1 });
        try {
          await ct.send(new LookupEventsCommand({}));
        } catch (err) {
          return [(err as { name: string }).name, (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode];
        }
        return ['none'];
      };
      const sealed = await nameOf(adminKey.id);
      expect(sealed[1]).toBe(400);
      expect(sealed).toEqual(await nameOf('TSAAAAAAAAAAAAAAAAAA'));
    } finally {
      collected.push(...rekeyed.errorBodies());
      await rekeyed.close();
    }
  });

  it('answers 500 without the index or exception when OpenSearch refuses to read the key index', async () => {
    const ns = uniqueNamespace('t-errors-closed');
    namespaces.push(ns);
    const config = makeConfig(ns);
    const client = createOpenSearchClient(config);
    const keys = createKeyStore(client, config.names, SERVER_KEY);
    const key = await keys.create({ name: 'k' });
    await client.indices.close({ index: config.names.keysIndex });
    const closed = await startTestApi({ ns, config, client });
    try {
      const res = await call(closed, 'GET', '/v1/events', `${key.id}.${key.secret}`);
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.json.error.requestId).toBe(res.headers.get('x-request-id'));
      expect(res.json.error.message).toMatch(/^(internal error|a service this API depends on is unavailable; retry later)$/);
      const logged = JSON.stringify(linesOf(closed, res.json.error.requestId));
      expect(logged).toContain('index_closed_exception');
      expect(logged).toContain(config.names.keysIndex);
    } finally {
      collected.push(...closed.errorBodies());
      await closed.close();
      await cleanupNamespace(client, ns);
      await client.close();
    }
  });

  it('sent no error body naming an index, a service address, an exception class or a key id', () => {
    expect(collected.length).toBeGreaterThan(0);
    // the suite so far: everything recorded by the servers above except the main one, which its close() checks
    expect(leaksIn([...collected, ...api.errorBodies()], namespaces)).toEqual([]);
    expect(api.errorBodies().length).toBeGreaterThanOrEqual(20);
  });

  it('has a leak check that finds what the former answers said', () => {
    const os = new URL(testEnv().opensearchUrl).host;
    const former: ErrorBody[] = [
      { method: 'GET', url: '/v1/events', status: 503, body: JSON.stringify({ error: { code: 'OPENSEARCH_UNAVAILABLE', message: `read API key on ${store.ns}-apikeys: OpenSearch unreachable (connect ECONNREFUSED ${os})` } }) },
      { method: 'GET', url: '/v1/events', status: 500, body: JSON.stringify({ error: { code: 'CONFIG_INVALID', message: 'API key TSABCDEFGHIJKLMNOPQR: secret cannot be decrypted' } }) },
      { method: 'POST', url: '/v1/events', status: 400, body: JSON.stringify({ error: { code: 'INVALID_CURSOR', message: 'cursor: no longer valid (search_context_missing_exception)' } }) },
    ];
    const leaks = leaksIn(former, [store.ns]);
    expect(leaks.join('\n')).toMatch(/namespace/);
    expect(leaks.join('\n')).toMatch(/address/);
    expect(leaks.join('\n')).toMatch(/API key id/);
    expect(leaks.join('\n')).toMatch(/OpenSearch exception type/);
  });
});
