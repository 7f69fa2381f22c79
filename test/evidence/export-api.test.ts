import { gunzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { ACCOUNT_A, seedStore, standardTrail, type SeededStore } from '../query/support/seed';
import { startTestApi, type TestApi } from '../api/support/api-server';

describe('GET /v1/export', () => {
  let store: SeededStore;
  let api: TestApi;
  let admin: string;
  let scoped: string;

  beforeAll(async () => {
    store = await seedStore('t-export-api', standardTrail(41));
    api = await startTestApi(store);
    const a = await api.keys.create({ name: 'admin' });
    const s = await api.keys.create({ name: 'team-a', accounts: [ACCOUNT_A] });
    admin = `${a.id}.${a.secret}`;
    scoped = `${s.id}.${s.secret}`;
  });

  afterAll(async () => {
    await api?.close();
    await store?.close();
  });

  const get = (query: string, token: string) => fetch(`${api.url}/v1/export?${query}`, { headers: { authorization: `Bearer ${token}` } });

  it('streams ndjson of the records byte for byte, limited to what the key may see', async () => {
    const all = await get('format=ndjson', admin);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toContain('application/x-ndjson');
    expect(all.headers.get('transfer-encoding')).toBe('chunked');
    const lines = (await all.text()).split('\n').filter((l) => l !== '');
    expect(new Set(lines)).toEqual(new Set(store.events.map((e) => e.raw)));

    const mine = await get('format=ndjson', scoped);
    const scopedLines = (await mine.text()).split('\n').filter((l) => l !== '');
    const visible = store.events.filter((e) => e.fileAccount === ACCOUNT_A || (e.record.recipientAccountId ?? e.fileAccount) === ACCOUNT_A);
    expect(scopedLines.length).toBeGreaterThan(0);
    expect(scopedLines.length).toBeLessThan(lines.length);
    expect(new Set(scopedLines)).toEqual(new Set(visible.map((e) => e.raw)));
  });

  it('streams csv and one CloudTrail gzip file for filters given in the query string', async () => {
    const csv = await get(`format=csv&accounts=${ACCOUNT_A}&readOnly=false`, admin);
    expect(csv.status).toBe(200);
    const rows = parseCsv(await csv.text(), { columns: true }) as Array<Record<string, string>>;
    const want = store.events.filter((e) => (e.record.recipientAccountId ?? e.fileAccount) === ACCOUNT_A && e.record.readOnly === false);
    expect(rows.map((r) => r['Event ID']).sort()).toEqual(want.map((e) => e.id).sort());

    const ct = await get(`format=cloudtrail&accounts=${ACCOUNT_A}`, admin);
    expect(ct.headers.get('content-type')).toBe('application/gzip');
    const text = gunzipSync(Buffer.from(await ct.arrayBuffer())).toString('utf8');
    expect(text.startsWith('{"Records":[')).toBe(true);
    const records = (JSON.parse(text) as { Records: unknown[] }).Records;
    expect(records).toHaveLength(store.events.filter((e) => (e.record.recipientAccountId ?? e.fileAccount) === ACCOUNT_A).length);
  });

  it('answers bad input before streaming: an unknown format, a paging parameter, an invalid filter', async () => {
    for (const [query, field] of [['format=xml', 'format'], ['format=csv&pageSize=5', 'pageSize'], ['format=csv&accounts=12', 'accounts']] as const) {
      const res = await get(query, admin);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('VALIDATION_FAILED');
      expect(body.error.message).toContain(field);
    }
    expect((await fetch(`${api.url}/v1/export?format=csv`)).status).toBe(401);
  });
});
