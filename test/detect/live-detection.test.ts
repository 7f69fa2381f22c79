import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { uploadFiles } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { createIngestQueue, pendingCounts, type IngestQueue } from '@trailscope/queue';
import { evaluateOffline, loadRuleFiles, type RuleMatch } from '@trailscope/rules';
import type { FindingDoc } from '@trailscope/detect';
import { scanKeys } from '@trailscope/runtime';
import { runCli, waitFor } from '../support/env';
import { createScope, type TestScope } from '../ingest/support/services';
import { startCli } from '../ingest/support/processes';
import { countEvents } from '../ingest/support/opensearch';
import { RULES, RULE, attackTrail, lateHistory, supersededOutOfOrder } from './support/attack-trail';

/** Findings as comparable keys: `rule|event` for single and new-terms findings, `rule|group|window` for correlations. */
function keyOf(f: FindingDoc): string {
  return f.ruleKind === 'correlation' ? `${f.ruleId}|${f.groupKey}|${f.windowStart}` : `${f.ruleId}|${f.eventIds[0]}`;
}

describe('live detection over a generated trail with attack sequences', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let rulesDir: string;
  const trail = attackTrail();
  const env = () => ({ TRAILSCOPE_NAMESPACE: scope.ns, TRAILSCOPE_JOB_LOCK_MS: '4000' });

  async function findings(): Promise<FindingDoc[]> {
    await scope.opensearch.indices.refresh({ index: scope.config.names.findingsIndex, ignore_unavailable: true });
    const res = await scope.opensearch.search({ index: scope.config.names.findingsIndex, body: { size: 1000, query: { match_all: {} } } as never, ignore_unavailable: true });
    return (res.body as unknown as { hits: { hits: Array<{ _source: FindingDoc }> } }).hits.hits.map((h) => h._source);
  }
  const openKeys = async () => (await findings()).filter((f) => f.status === 'open').map(keyOf).sort();

  async function drain(): Promise<void> {
    const worker = startCli(['worker', '--concurrency', '2'], env());
    try {
      await waitFor(async () => (await pendingCounts(queue)).total === 0, { timeoutMs: 240000, intervalMs: 500, what: 'ingest queue drained' });
      await waitFor(async () => (await scope.redis.zcard(`${scope.config.names.redisPrefix}detect:pending`)) === 0, { timeoutMs: 120000, intervalMs: 500, what: 'every indexed file evaluated' });
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  }

  beforeAll(async () => {
    scope = await createScope('t-detect');
    queue = createIngestQueue(scope.config, scope.redis);
    rulesDir = await mkdtemp(join(tmpdir(), 'ts-detect-rules-'));
    for (const [path, text] of Object.entries(RULES)) {
      await mkdir(dirname(join(rulesDir, path)), { recursive: true });
      await writeFile(join(rulesDir, path), text);
    }
    await uploadFiles(scope.s3, scope.bucket, trail.files);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(async () => {
    await queue?.close();
    await scope?.close();
    if (rulesDir) await rm(rulesDir, { recursive: true, force: true });
  });

  it('rules apply stores the rule set with its version', async () => {
    const applied = await runCli(['rules', 'apply', rulesDir, '--json'], { env: env() });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toEqual(expect.objectContaining({ files: 4, rules: 5, refused: 0, version: expect.stringMatching(/^[0-9a-f]{16}$/) }));
  });

  it('after an ingest whose worker is SIGKILLed twice, findings equal the expected set exactly', async () => {
    const queued = await runCli(['backfill', '--bucket', scope.bucket, '--json'], { env: env() });
    expect(queued.code).toBe(0);
    // killed as soon as the queue shows a file finished (BullMQ's counts are immediate, the index's only after a
    // refresh), so that each kill lands mid-ingest however fast the machine is
    for (let round = 0; round < 2; round++) {
      const worker = startCli(['worker', '--concurrency', '2'], env());
      const before = (await pendingCounts(queue)).total;
      await waitFor(async () => (await pendingCounts(queue)).total < before, { timeoutMs: 180000, intervalMs: 50, what: `round ${round}: a file finished` });
      worker.child.kill('SIGKILL');
      expect(await worker.exited).toBe(137);
    }
    expect((await pendingCounts(queue)).total).toBeGreaterThan(0);
    await drain();
    expect(await countEvents(scope.opensearch, scope.config)).toBe(trail.records.length);
    expect(await openKeys()).toEqual([...trail.expected].sort());

    const stored = await findings();
    const outOfOrder = supersededOutOfOrder(stored);
    const all = stored.filter((f) => !outOfOrder.includes(f));
    expect(all).toHaveLength(trail.expected.length);
    const burst = all.filter((f) => f.ruleId === RULE.bruteForce).sort((a, b) => (a.windowStart ?? '').localeCompare(b.windowStart ?? ''));
    expect(burst.map((f) => f.eventCount)).toEqual([6, 5]);
    expect(burst[0]).toEqual(expect.objectContaining({ account: '555555555555', region: 'us-east-1', sourceIp: '203.0.113.50', firstSeen: '2026-03-05T10:00:00Z', lastSeen: '2026-03-05T10:02:30Z', ruleLevel: 'high', ruleTags: ['attack.credential-access', 'attack.t1110'] }));
    const deleted = all.find((f) => f.ruleId === RULE.trailDeleted);
    expect(deleted).toEqual(expect.objectContaining({ ruleTitle: 'Test trail deleted', status: 'open', principal: 'arn:aws:sts::555555555555:assumed-role/Admin/mallory', sourceIp: '198.51.100.23', account: '555555555555', region: 'us-east-1', eventCount: 1, source: 'live' }));
  });

  it('re-running the backfill changes nothing', async () => {
    const before = (await findings()).map((f) => JSON.stringify(f)).sort();
    const again = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env() });
    expect(again.code).toBe(0);
    await drain();
    expect((await findings()).map((f) => JSON.stringify(f)).sort()).toEqual(before);
  });

  it('rules backtest reports what offline evaluation of the same events reports', async () => {
    const res = await runCli(['rules', 'backtest', rulesDir, '--json'], { env: env() });
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.pop();
    const loaded = await loadRuleFiles([rulesDir]);
    const offline: RuleMatch[] = [];
    for await (const m of evaluateOffline(loaded.rules, trail.records)) offline.push(m);
    const norm = (l: Record<string, unknown>) => JSON.stringify([l.ruleId, l.eventId, l.eventTime, l.account, l.region, l.groupKey ?? null, l.count ?? null]);
    const expected = offline.map((m) => norm({ ruleId: m.ruleId, eventId: m.eventIds[0], eventTime: m.eventTime, account: m.account, region: m.region, groupKey: m.groupKey, count: m.count }));
    expect(lines.map(norm).sort()).toEqual(expected.sort());
    expect(summary).toEqual({ summary: { rules: 5, refused: 0, matches: offline.length } });
    expect(offline.length).toBe(trail.expected.length);

    // recording finds the ids live detection already wrote
    const recorded = await runCli(['rules', 'backtest', rulesDir, '--record', '--json'], { env: env() });
    expect(JSON.parse(recorded.stdout.trim().split('\n').pop() ?? '{}')).toEqual({ summary: { rules: 5, refused: 0, matches: offline.length, recorded: 0 } });
  });

  it('new terms fire on the first occurrence only, also when history is backfilled after live events', async () => {
    const history = lateHistory();
    await uploadFiles(scope.s3, scope.bucket, [history.file]);
    const queued = await runCli(['backfill', '--bucket', scope.bucket, '--json'], { env: env() });
    expect(queued.code).toBe(0);
    await drain();
    const superseded = trail.expected.find((k) => k.startsWith(`${RULE.newRegion}|`) && k.endsWith(String(trail.records.find((r) => r.eventName === 'GetCallerIdentity' && String((r.userIdentity as { arn: string }).arn).includes('ci-bot'))?.eventID)));
    expect(superseded).toBeDefined();
    const expected = [...trail.expected.filter((k) => k !== superseded), `${RULE.newRegion}|${history.supersededBy.eventID}`, `${RULE.newRegion}|${history.outsideHistory.eventID}`].sort();
    expect(await openKeys()).toEqual(expected);
    const all = await findings();
    const outOfOrder = supersededOutOfOrder(all);
    const closed = all.filter((f) => f.status === 'closed' && !outOfOrder.includes(f));
    expect(closed.map(keyOf)).toEqual([superseded]);
    expect(closed[0]).toEqual(expect.objectContaining({ statusBy: 'trailscope', statusReason: expect.stringContaining('superseded') }));
  });

  it('a term store lost with Redis is built again from the index: evaluating every file again changes nothing', async () => {
    const before = (await findings()).map((f) => JSON.stringify(f)).sort();
    const stores: string[] = [];
    for await (const keys of scanKeys(scope.redis, `${scope.config.names.redisPrefix}detect:terms*`)) stores.push(...keys);
    // the registry of stores and one store per new-terms rule version
    expect(stores).toHaveLength(2);
    await scope.redis.del(...stores);
    // every file reported as indexed again, as a replay after a crash reports it
    const pendingKey = `${scope.config.names.redisPrefix}detect:pending`;
    for (const f of [...trail.files, lateHistory().file]) await scope.redis.zadd(pendingKey, Date.now(), JSON.stringify([scope.bucket, f.key]));
    await drain();
    expect((await findings()).map((f) => JSON.stringify(f)).sort()).toEqual(before);
    const rebuilt: string[] = [];
    for await (const keys of scanKeys(scope.redis, `${scope.config.names.redisPrefix}detect:terms*`)) rebuilt.push(...keys);
    expect(rebuilt.sort()).toEqual(stores.sort());
  });

  it('findings lists, filters, acknowledges and closes', async () => {
    const high = await runCli(['findings', '--level', 'high', '--json'], { env: env() });
    expect(high.code).toBe(0);
    const highFindings = high.stdout.trim().split('\n').map((l) => JSON.parse(l) as FindingDoc);
    expect(highFindings.map((f) => f.ruleId).sort()).toEqual([RULE.trailDeleted, RULE.bruteForce, RULE.bruteForce]);
    const target = highFindings.find((f) => f.ruleId === RULE.trailDeleted) as FindingDoc;
    const ack = await runCli(['findings', 'ack', target.id, '--by', 'alice', '--json'], { env: env() });
    expect(ack.code).toBe(0);
    expect(JSON.parse(ack.stdout)).toEqual(expect.objectContaining({ id: target.id, status: 'acknowledged', statusBy: 'alice' }));
    const acked = await runCli(['findings', '--status', 'acknowledged', '--json'], { env: env() });
    expect(acked.stdout.trim().split('\n').map((l) => (JSON.parse(l) as FindingDoc).id)).toEqual([target.id]);
    const closed = await runCli(['findings', 'close', target.id, '--reason', 'expected change'], { env: env() });
    expect(closed.code).toBe(0);
    const byRule = await runCli(['findings', '--rule', RULE.trailDeleted, '--json'], { env: env() });
    expect(JSON.parse(byRule.stdout.trim())).toEqual(expect.objectContaining({ status: 'closed', statusReason: 'expected change' }));
    const bad = await runCli(['findings', '--event-name', 'DeleteTrail'], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--event-name: not a findings filter');
    const missing = await runCli(['findings', 'ack', 'f-0000000000000000000000000000000000000000'], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('finding f-0000000000000000000000000000000000000000: not found');
  });
});
