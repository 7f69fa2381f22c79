import { buildFinding, installDetectionIndices, singleFindingId, writeFindings, type FindingDoc } from '@trailscope/detect';
import { createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, makeConfig, uniqueNamespace } from '../support/env';
import { startTestApi, type TestApi } from '../api/support/api-server';

interface Json {
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const A = '111111111111';
const B = '222222222222';
const rule = (id: string, level: string) => ({ kind: 'single' as const, id, title: `Rule ${id}`, level, tags: ['attack.t1078'], version: 'v1' });

describe('findings over HTTP, scoped like events', () => {
  const ns = uniqueNamespace('t-find-api');
  const config = makeConfig(ns);
  let client: OpenSearchClient;
  let api: TestApi;
  let admin: string;
  let teamA: string;
  const docs: FindingDoc[] = [];

  beforeAll(async () => {
    client = createOpenSearchClient(config);
    await installDetectionIndices(client, config);
    const now = new Date('2026-03-06T00:00:00Z');
    const seed = [
      { rule: rule('r-root', 'high'), event: { id: 'ev-a1', eventTime: '2026-03-05T10:00:00Z', account: A, region: 'us-east-1', sourceIPAddress: '198.51.100.1', userIdentity: { arn: `arn:aws:iam::${A}:root` } } },
      { rule: rule('r-root', 'high'), event: { id: 'ev-b1', eventTime: '2026-03-05T11:00:00Z', account: B, region: 'eu-west-1', sourceIPAddress: '198.51.100.2', userIdentity: { arn: `arn:aws:iam::${B}:root` } } },
      { rule: rule('r-key', 'medium'), event: { id: 'ev-a2', eventTime: '2026-03-05T12:00:00Z', account: A, region: 'eu-west-1', sourceIPAddress: '198.51.100.3', userIdentity: { arn: `arn:aws:iam::${A}:user/bob` } } },
    ];
    for (const s of seed) docs.push(buildFinding(singleFindingId(s.rule.id, s.rule.version, s.event.id), s.rule, [s.event], { source: 'live', now }));
    await writeFindings(client, config, docs.map((doc) => ({ op: 'create', doc })), { refresh: true });
    api = await startTestApi({ ns, config, client });
    const a = await api.keys.create({ name: 'admin' });
    const s = await api.keys.create({ name: 'team-a', accounts: [A] });
    admin = `${a.id}.${a.secret}`;
    teamA = `${s.id}.${s.secret}`;
  });

  afterAll(async () => {
    await api?.close();
    await cleanupNamespace(client, ns);
    await client?.close();
  });

  async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${api.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Json };
  }

  it('lists findings newest first, filtered by query parameters', async () => {
    const all = await call('GET', '/v1/findings', admin);
    expect(all.status).toBe(200);
    expect(all.json.total).toBe(3);
    expect(all.json.findings.map((f: FindingDoc) => f.eventIds[0])).toEqual(['ev-a2', 'ev-b1', 'ev-a1']);
    const high = await call('GET', '/v1/findings?levels=high&regions=eu-west-1', admin);
    expect(high.json.findings.map((f: FindingDoc) => f.eventIds[0])).toEqual(['ev-b1']);
    const paged = await call('GET', '/v1/findings?pageSize=2', admin);
    expect(paged.json.findings).toHaveLength(2);
    const next = await call('GET', `/v1/findings?pageSize=2&cursor=${encodeURIComponent(paged.json.cursor)}`, admin);
    expect(next.json.findings.map((f: FindingDoc) => f.eventIds[0])).toEqual(['ev-a1']);
    expect(next.json.cursor).toBeUndefined();
    const bad = await call('GET', '/v1/findings?levels=severe', admin);
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^levels/);
  });

  it('a key limited to an account sees, reads and changes only that account\'s findings', async () => {
    const list = await call('GET', '/v1/findings', teamA);
    expect(list.json.findings.map((f: FindingDoc) => f.account)).toEqual([A, A]);
    const other = docs[1] as FindingDoc;
    expect((await call('GET', `/v1/findings/${other.id}`, teamA)).status).toBe(404);
    expect((await call('POST', `/v1/findings/${other.id}/status`, teamA, { status: 'closed' })).status).toBe(404);
    expect((await call('GET', `/v1/findings?accounts=${B}`, teamA)).status).toBe(403);
    const own = docs[0] as FindingDoc;
    const got = await call('GET', `/v1/findings/${own.id}`, teamA);
    expect(got.json.finding).toEqual(own);
  });

  it('records who acknowledged a finding: the key, not what the body claims', async () => {
    const own = docs[2] as FindingDoc;
    const res = await call('POST', `/v1/findings/${own.id}/status`, teamA, { status: 'acknowledged', reason: 'looking into it' });
    expect(res.status).toBe(200);
    expect(res.json.finding).toEqual(expect.objectContaining({ status: 'acknowledged', statusReason: 'looking into it', statusBy: expect.stringContaining('team-a') }));
    const again = await call('GET', `/v1/findings/${own.id}`, admin);
    expect(again.json.finding.status).toBe('acknowledged');
    const invalid = await call('POST', `/v1/findings/${own.id}/status`, admin, { status: 'resolved' });
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.message).toMatch(/^status/);
  });
});
