import { generateTrail, gzipLogFile, logFileKey, uploadFiles, type GeneratedFile } from '@trailscope/fixtures';
import { runCli } from '../support/env';
import { createScope, type TestScope } from './support/services';
import { countEvents } from './support/opensearch';

const lastJsonLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;

interface ConflictLine {
  eventId: string;
  bucket: string;
  key: string;
  reason: string;
  storedIndex: string;
  raw: string;
}

/** Forgets which files Redis recorded as indexed, as a Redis without persistence does when it restarts. */
async function forgetIngestState(scope: TestScope): Promise<void> {
  for (const pattern of [`${scope.ns}:*`, `bull:${scope.ns}-*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await scope.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await scope.redis.unlink(...keys);
    } while (cursor !== '0');
  }
}

describe('a bucket that repeats event ids with other times and contents', () => {
  let scope: TestScope;
  const ACCOUNT = '444444444444';
  const trail: GeneratedFile[] = generateTrail({ seed: 1010, accounts: [ACCOUNT], regions: ['us-east-1', 'eu-west-1'], days: ['2026-03-10', '2026-03-11'], filesPerPartition: 2, eventsPerFile: 20, lateEventShare: 0.1 });
  const original = trail.flatMap((f) => f.records.map((r, i) => ({ record: r, raw: f.rawRecords[i] as string })));
  const distinct = new Set(original.map((o) => String(o.record.eventID))).size;

  // A late file repeating 9 earlier events: 3 with another eventTime (the next day), 3 with the same time and other
  // content, 3 byte for byte (plain duplicates).
  const shifted = original.slice(0, 3).map(({ record }) => JSON.stringify({ ...record, eventTime: new Date(Date.parse(String(record.eventTime)) + 86_400_000).toISOString().replace('.000Z', 'Z') }));
  const altered = original.slice(3, 6).map(({ record }) => JSON.stringify({ ...record, sourceIPAddress: '203.0.113.66' }));
  const identical = original.slice(6, 9).map((o) => o.raw);
  const repeatKey = logFileKey({ account: ACCOUNT, region: 'us-east-1', fileTimeMs: Date.parse('2026-03-12T09:30:00Z'), suffix: 'cccccccccccccc01' });
  const conflicting = new Set([...shifted, ...altered]);
  const env = (extra: Record<string, string> = {}) => ({ TRAILSCOPE_NAMESPACE: scope.ns, TRAILSCOPE_JOB_LOCK_MS: '5000', ...extra });

  const conflictsListed = async (): Promise<ConflictLine[]> => {
    const run = await runCli(['conflicts', '--json'], { env: env() });
    expect(run.code).toBe(0);
    return run.stdout.trim() === '' ? [] : run.stdout.trim().split('\n').map((l) => JSON.parse(l) as ConflictLine);
  };

  beforeAll(async () => {
    scope = await createScope('t-conflicts');
    await uploadFiles(scope.s3, scope.bucket, [...trail, { key: repeatKey, body: gzipLogFile([...shifted, ...altered, ...identical]) }]);
  });

  afterAll(async () => {
    await scope?.close();
  });

  it('holds one document per event id and lists each changed copy as a conflict', async () => {
    const run = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env({ TRAILSCOPE_INDEX_PERIOD: 'day' }) });
    expect(run.code).toBe(0);
    const summary = lastJsonLine(run.stdout);
    expect(summary).toEqual(expect.objectContaining({ filesIndexed: trail.length + 1, filesFailed: 0, eventsIndexed: distinct, duplicates: 3, conflicts: 6, deadLettered: 0 }));
    expect(await countEvents(scope.opensearch, scope.config)).toBe(distinct);

    const listed = await conflictsListed();
    expect(listed).toHaveLength(6);
    expect(new Set(listed.map((c) => c.raw))).toEqual(conflicting);
    for (const c of listed) {
      expect(c).toMatchObject({ bucket: scope.bucket, key: repeatKey, storedIndex: expect.stringMatching(new RegExp(`^${scope.ns}-events-2026\\.03\\.\\d{2}$`)) });
      expect(c.reason).toContain(c.eventId);
    }
    const byId = new Map(listed.map((c) => [c.eventId, c]));
    for (const raw of shifted) expect(byId.get(String(JSON.parse(raw).eventID))?.reason).toMatch(/eventTime stored .* this copy /);
    for (const raw of altered) expect(byId.get(String(JSON.parse(raw).eventID))?.reason).toMatch(/field sourceIPAddress differs$/);

    // The stored copy is the one delivered first, byte for byte.
    const first = original[0] as { record: Record<string, unknown>; raw: string };
    const got = await runCli(['get', String(first.record.eventID), '--raw'], { env: env() });
    expect(got.stdout).toBe(`${first.raw}\n`);
  });

  it('adds no document when the index period changes from day to month and the same bucket is ingested again', async () => {
    await forgetIngestState(scope);
    const run = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env({ TRAILSCOPE_INDEX_PERIOD: 'month' }) });
    expect(run.code).toBe(0);
    const summary = lastJsonLine(run.stdout);
    // Every file is read again: each event is now a duplicate of its daily document, each changed copy a conflict.
    expect(summary).toEqual(expect.objectContaining({ filesIndexed: trail.length + 1, eventsIndexed: 0, duplicates: original.length + 3, conflicts: 6 }));
    expect(await countEvents(scope.opensearch, scope.config)).toBe(distinct);
    const monthly = await scope.opensearch.indices.exists({ index: `${scope.ns}-events-2026.03` });
    expect(monthly.body).toBe(false);
    // The same copies from the same files are listed once each.
    expect(await conflictsListed()).toHaveLength(6);
  });
});
