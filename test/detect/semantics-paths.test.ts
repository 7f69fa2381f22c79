import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipLogFile, logFileKey, uploadFiles } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { createIngestQueue, pendingCounts, type IngestQueue } from '@trailscope/queue';
import type { FindingDoc } from '@trailscope/detect';
import { SEMANTICS_CASES, ruleText } from '../../packages/rules/src/semantics.cases';
import { runCli, waitFor } from '../support/env';
import { createScope, type TestScope } from '../ingest/support/services';
import { startCli } from '../ingest/support/processes';
import { countEvents } from '../ingest/support/opensearch';

const ACCOUNT = '111122223333';

/** Correlations beside the semantics table: temporal_ordered (in order fires, reversed does not) and aliases. */
const CORRELATIONS = `title: chain recon
id: chain-recon
name: chain_recon
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: GetCallerIdentity
        eventSource: chain.amazonaws.com
    condition: sel
---
title: chain grant
id: chain-grant
name: chain_grant
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: AttachUserPolicy
        eventSource: chain.amazonaws.com
    condition: sel
---
title: chain use
id: chain-use
name: chain_use
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: ListBuckets
        eventSource: chain.amazonaws.com
    condition: sel
---
title: recon then grant, in that order
id: chain-ordered
correlation:
    type: temporal_ordered
    rules: [chain_recon, chain_grant]
    group-by: [userIdentity.arn]
    timespan: 10m
level: high
---
title: a grant, then the grantee acts
id: chain-granted-use
correlation:
    type: temporal
    rules: [chain_grant, chain-use]
    group-by: [principal]
    timespan: 10m
    aliases:
        principal:
            chain_grant: requestParameters.userName
            chain-use: userIdentity.userName
level: high
`;

let seq = 0;
function chainEvent(time: string, eventName: string, arn: string, userName: string, grantee?: string): Record<string, unknown> {
  seq++;
  return {
    eventVersion: '1.09',
    eventTime: `2026-03-01T12:${time}Z`,
    eventSource: 'chain.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    eventID: `chain-${String(seq).padStart(4, '0')}`,
    recipientAccountId: ACCOUNT,
    userIdentity: { type: 'IAMUser', arn, userName },
    ...(grantee ? { requestParameters: { userName: grantee } } : {}),
  };
}

const CHAIN_RECORDS = [
  chainEvent('01:00', 'GetCallerIdentity', 'arn:aws:iam::111122223333:user/a', 'a'),
  chainEvent('02:00', 'AttachUserPolicy', 'arn:aws:iam::111122223333:user/a', 'a', 'bob'),
  chainEvent('01:00', 'AttachUserPolicy', 'arn:aws:iam::111122223333:user/b', 'b', 'carol'),
  chainEvent('03:00', 'GetCallerIdentity', 'arn:aws:iam::111122223333:user/b', 'b'),
  chainEvent('05:00', 'ListBuckets', 'arn:aws:iam::111122223333:user/bob', 'bob'),
  chainEvent('05:00', 'ListBuckets', 'arn:aws:iam::111122223333:user/dave', 'dave'),
];
const CHAIN_EXPECTED = ['chain-ordered|["arn:aws:iam::111122223333:user/a"]|2026-03-01T12:00:00.000Z', 'chain-granted-use|["bob"]|2026-03-01T12:00:00.000Z'];

const caseId = (i: number) => `sem-case-${String(i).padStart(2, '0')}`;

interface Line {
  ruleId: string;
  eventId: string;
  groupKey?: string;
  windowStart?: string;
}
const lineKey = (l: Line) => (l.windowStart !== undefined ? `${l.ruleId}|${l.groupKey}|${l.windowStart}` : `${l.ruleId}|${l.eventId}`);
const findingKey = (f: FindingDoc) => (f.ruleKind === 'correlation' ? `${f.ruleId}|${f.groupKey}|${f.windowStart}` : `${f.ruleId}|${f.eventIds[0]}`);

/** Per rule, the keys of its matches: a failure names the case whose paths differ. */
function byRule(keys: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of keys) (out[k.slice(0, k.indexOf('|'))] ??= []).push(k);
  for (const v of Object.values(out)) v.sort();
  return out;
}

/**
 * One semantics table, every evaluation path: the records of every case of the Sigma semantics table are delivered
 * as a CloudTrail log file and ingested by a real worker with the rules applied (live detection: exact queries in
 * OpenSearch, or candidates confirmed by the matcher), then backtested over the index (`rules backtest`) and run
 * offline (`rules test`). Each case's rule must match exactly the table's `yes` records among its own, and the
 * three paths must give the same matches over all records.
 */
describe('Sigma semantics: live detection, backtest and offline test agree with the table', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let dir: string;
  const records: Array<Record<string, unknown>> = [];
  const env = () => ({ TRAILSCOPE_NAMESPACE: scope.ns });

  beforeAll(async () => {
    scope = await createScope('t-sem-paths');
    queue = createIngestQueue(scope.config, scope.redis);
    dir = await mkdtemp(join(tmpdir(), 'ts-sem-paths-'));
    await mkdir(join(dir, 'rules'));
    for (const [i, c] of SEMANTICS_CASES.entries()) {
      await writeFile(join(dir, 'rules', `${caseId(i)}.yml`), ruleText(c.detection, caseId(i)));
      records.push(...c.yes, ...c.no);
    }
    await writeFile(join(dir, 'rules', 'chain.yml'), CORRELATIONS);
    records.push(...CHAIN_RECORDS);
    await writeFile(join(dir, 'events.ndjson'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const raw = records.map((r) => JSON.stringify(r));
    const key = logFileKey({ account: ACCOUNT, region: 'us-east-1', fileTimeMs: Date.parse('2026-03-01T12:15:00Z'), suffix: 'semantic0000001' });
    await uploadFiles(scope.s3, scope.bucket, [{ key, body: gzipLogFile(raw) }]);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(async () => {
    await queue?.close();
    await scope?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every case and correlation loads', async () => {
    const res = await runCli(['rules', 'apply', join(dir, 'rules'), '--json'], { env: env() });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual(expect.objectContaining({ rules: SEMANTICS_CASES.length + 5, refused: 0 }));
    expect(new Set(records.map((r) => r.eventID)).size).toBe(records.length);
  });

  let live: string[] = [];
  it('live: the worker ingests the records and detection writes their findings', async () => {
    const queued = await runCli(['backfill', '--bucket', scope.bucket, '--json'], { env: env() });
    expect(queued.code).toBe(0);
    const worker = startCli(['worker', '--concurrency', '2'], env());
    try {
      await waitFor(async () => (await pendingCounts(queue)).total === 0, { timeoutMs: 240000, intervalMs: 500, what: 'ingest queue drained' });
      await waitFor(async () => (await scope.redis.zcard(`${scope.config.names.redisPrefix}detect:pending`)) === 0, { timeoutMs: 120000, intervalMs: 500, what: 'every indexed file evaluated' });
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    expect(await countEvents(scope.opensearch, scope.config)).toBe(records.length);
    await scope.opensearch.indices.refresh({ index: scope.config.names.findingsIndex });
    const res = await scope.opensearch.search({ index: scope.config.names.findingsIndex, body: { size: 10_000, query: { match_all: {} } } as never });
    live = (res.body as unknown as { hits: { hits: Array<{ _source: FindingDoc }> } }).hits.hits.map((h) => findingKey(h._source)).sort();
    expect(live.length).toBeGreaterThan(0);
  });

  let backtest: string[] = [];
  let offline: string[] = [];
  it('backtest and offline test report their matches', async () => {
    const b = await runCli(['rules', 'backtest', join(dir, 'rules'), '--json'], { env: env() });
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    const bl = b.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line & { summary?: unknown });
    backtest = bl.filter((l) => l.summary === undefined).map(lineKey).sort();
    const o = await runCli(['rules', 'test', join(dir, 'rules'), '--events', join(dir, 'events.ndjson'), '--json'], { env: env() });
    expect(o.stderr).toBe('');
    expect(o.code).toBe(0);
    const ol = o.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line & { summary?: unknown });
    offline = ol.filter((l) => l.summary === undefined).map(lineKey).sort();
  });

  it('each case matches exactly its yes records among its own records, through every path', () => {
    const want: Record<string, string[]> = {};
    const got: Record<string, Record<string, string[]>> = { live: {}, backtest: {}, offline: {} };
    SEMANTICS_CASES.forEach((c, i) => {
      const id = caseId(i);
      const own = new Set([...c.yes, ...c.no].map((r) => `${id}|${String(r.eventID)}`));
      want[`${id} ${c.name}`] = c.yes.map((r) => `${id}|${String(r.eventID)}`).sort();
      for (const [path, keys] of Object.entries({ live, backtest, offline })) {
        (got[path] as Record<string, string[]>)[`${id} ${c.name}`] = keys.filter((k) => own.has(k)).sort();
      }
    });
    expect(got.live).toEqual(want);
    expect(got.backtest).toEqual(want);
    expect(got.offline).toEqual(want);
  });

  it('temporal_ordered and aliased correlations fire once per group and window, the same through every path', () => {
    const chain = (keys: string[]) => keys.filter((k) => k.startsWith('chain-')).sort();
    expect(chain(live)).toEqual([...CHAIN_EXPECTED].sort());
    expect(chain(backtest)).toEqual([...CHAIN_EXPECTED].sort());
    expect(chain(offline)).toEqual([...CHAIN_EXPECTED].sort());
  });

  it('over all records (every rule sees every case), the three paths give identical matches', () => {
    expect(byRule(backtest)).toEqual(byRule(offline));
    expect(byRule(live)).toEqual(byRule(offline));
  });
});
