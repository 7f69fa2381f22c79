import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
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

  it('streams csv, and a tar of CloudTrail log files in their key layout with the manifest, for filters given in the query string', async () => {
    const csv = await get(`format=csv&accounts=${ACCOUNT_A}&readOnly=false`, admin);
    expect(csv.status).toBe(200);
    const rows = parseCsv(await csv.text(), { columns: true }) as Array<Record<string, string>>;
    const want = store.events.filter((e) => (e.record.recipientAccountId ?? e.fileAccount) === ACCOUNT_A && e.record.readOnly === false);
    expect(rows.map((r) => r['Event ID']).sort()).toEqual(want.map((e) => e.id).sort());

    const ct = await get(`format=cloudtrail&accounts=${ACCOUNT_A}`, admin);
    expect(ct.status).toBe(200);
    expect(ct.headers.get('content-type')).toBe('application/x-tar');
    expect(ct.headers.get('content-disposition')).toContain('events.tar');
    // the archive holds what `export --format cloudtrail --out DIR` writes: log files in CloudTrail's key layout, then the manifest
    const entries = new Map<string, Buffer>();
    const extract = tarExtract();
    const read = (async () => {
      for await (const entry of extract) {
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        entries.set(entry.header.name, Buffer.concat(chunks));
      }
    })();
    extract.end(Buffer.from(await ct.arrayBuffer()));
    await read;
    const names = [...entries.keys()];
    expect(names[names.length - 1]).toBe('manifest.json');
    const logFiles = names.filter((n) => n !== 'manifest.json');
    expect(logFiles.length).toBeGreaterThan(0);
    for (const n of logFiles) expect(n).toMatch(new RegExp(`^AWSLogs/(o-[a-z0-9]+/)?${ACCOUNT_A}/CloudTrail/[a-z0-9-]+/\\d{4}/\\d{2}/\\d{2}/${ACCOUNT_A}_CloudTrail_[a-z0-9-]+_\\d{8}T\\d{4}Z_[0-9a-f]{16}\\.json\\.gz$`));
    const raws = logFiles.flatMap((n) => {
      const text = gunzipSync(entries.get(n)!).toString('utf8');
      expect(text.startsWith('{"Records":[')).toBe(true);
      return (JSON.parse(text) as { Records: unknown[] }).Records.map((r) => JSON.stringify(r));
    });
    const wantA = store.events.filter((e) => (e.record.recipientAccountId ?? e.fileAccount) === ACCOUNT_A);
    expect(raws).toHaveLength(wantA.length);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as { events: number; files: Array<{ path: string; sha256: string }> };
    expect(manifest.events).toBe(wantA.length);
    expect(manifest.files.map((f) => f.path).sort()).toEqual([...logFiles].sort());
    for (const f of manifest.files) expect(createHash('sha256').update(entries.get(f.path)!).digest('hex')).toBe(f.sha256);
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
