import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { uploadFiles } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { alertIdFor, alertsIndex } from '@trailscope/alerts';
import { alertQueueName, createIngestQueue, pendingCounts, type IngestQueue } from '@trailscope/queue';
import type { FindingDoc } from '@trailscope/detect';
import { Queue } from 'bullmq';
import { runCli, waitFor } from '../support/env';
import { createScope, type TestScope } from '../ingest/support/services';
import { freePort, startCli, type CliProcess } from '../ingest/support/processes';
import { RULES, RULE, attackTrail, supersededOutOfOrder } from '../detect/support/attack-trail';
import { AlertReceiver } from './support/receiver';
import { tearDownAlertSuite } from './support/teardown';
import { alertsEnv } from './support/alerts-env';

const SECRET = 'test-secret-0123456789abcdef';
const CI_BOT = 'arn:aws:iam::555555555555:user/ci-bot';

function keyOf(f: FindingDoc): string {
  return f.ruleKind === 'correlation' ? `${f.ruleId}|${f.groupKey}|${f.windowStart}` : `${f.ruleId}|${f.eventIds[0]}`;
}

describe('alerts for a generated attack trail, through a receiver outage and a killed sender', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let dir: string;
  let receiver: AlertReceiver;
  const trail = attackTrail();
  const env = () => alertsEnv(scope.ns);
  const running: CliProcess[] = [];

  async function findings(): Promise<FindingDoc[]> {
    await scope.opensearch.indices.refresh({ index: scope.config.names.findingsIndex, ignore_unavailable: true });
    const res = await scope.opensearch.search({ index: scope.config.names.findingsIndex, body: { size: 1000, query: { match_all: {} } } as never, ignore_unavailable: true });
    return (res.body as unknown as { hits: { hits: Array<{ _source: FindingDoc }> } }).hits.hits.map((h) => h._source);
  }

  function alertsFile(): string {
    return `
apiUrl: http://trailscope.example:8080
destinations:
  - {name: hook, type: webhook, url: "${receiver.url('/hook')}", secret: "${SECRET}"}
  - {name: chat, type: slack, url: "${receiver.url('/slack')}"}
  - {name: gone, type: webhook, url: "${receiver.url('/gone')}", secret: "${SECRET}"}
  - {name: archive, type: file, path: "${join(dir, 'out', 'alerts.ndjson')}"}
routes:
  - {destination: hook}
  - {destination: chat, minLevel: high}
  - {destination: gone, minLevel: high}
  - {destination: archive, rules: ["${RULE.trailDeleted}"]}
exceptions:
  - rule: ${RULE.newRegion}
    detection: {bot: {userIdentity.arn|endswith: user/ci-bot}, condition: bot}
    reason: the CI bot discovers regions on purpose
    author: alice
  - rule: ${RULE.passwordData}
    detection: {all: {eventName: GetPasswordData}, condition: all}
    expires: 2020-01-01T00:00:00Z
    reason: expired long ago
    author: bob
delivery: {maxRetry: 1h, backoffBase: 200ms, backoffMax: 2s, timeout: 5s}
`;
  }

  beforeAll(async () => {
    scope = await createScope('t-alerts');
    queue = createIngestQueue(scope.config, scope.redis);
    dir = await mkdtemp(join(tmpdir(), 'ts-alerts-'));
    receiver = new AlertReceiver(await freePort(), SECRET);
    receiver.statusByPath.set('/gone', 404);
    for (const [path, text] of Object.entries(RULES)) {
      await mkdir(dirname(join(dir, 'rules', path)), { recursive: true });
      await writeFile(join(dir, 'rules', path), text);
    }
    await uploadFiles(scope.s3, scope.bucket, trail.files);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(() => tearDownAlertSuite({ running, receiver, queue, scope, dir }));

  it('alerts apply refuses a wrong URL, a bad secret type and an unknown level, naming the key', async () => {
    const cases: Array<[string, string]> = [
      ['destinations: [{name: hook, type: webhook, url: "htp:/nowhere", secret: "0123456789abcdefgh"}]', 'bad.yml: destinations[0](hook).url: must be an http:// or https:// URL'],
      ['destinations: [{name: hook, type: webhook, url: "https://x.example", secret: [a, b]}]', 'bad.yml: destinations[0](hook).secret: must be a string'],
      ['destinations: [{name: c, type: slack, url: "https://x.example"}]\nroutes: [{destination: c, minLevel: urgent}]', 'bad.yml: routes[0].minLevel: must be one of informational, low, medium, high, critical'],
    ];
    for (const [text, message] of cases) {
      await writeFile(join(dir, 'bad.yml'), text);
      const res = await runCli(['alerts', 'apply', 'bad.yml'], { env: env(), cwd: dir });
      expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 78, stderr: expect.stringContaining(message) });
    }
    // storing needs the server key, which seals the destination secrets
    await writeFile(join(dir, 'good.yml'), `destinations: [{name: hook, type: webhook, url: "https://x.example", secret: "${SECRET}"}]\n`);
    const keyless = await runCli(['alerts', 'apply', 'good.yml'], { env: { ...env(), TRAILSCOPE_SERVER_KEY: undefined }, cwd: dir });
    expect({ code: keyless.code, stderr: keyless.stderr }).toEqual({ code: 78, stderr: expect.stringContaining('TRAILSCOPE_SERVER_KEY is not set') });
    expect(keyless.stderr).not.toContain(SECRET);
    // nothing was stored: the sender has no configuration
    const failed = await runCli(['alerts', 'failed'], { env: env() });
    expect(failed.code).toBe(78);
    expect(failed.stderr).toContain('no alerts configuration');
  });

  it('every expected alert arrives signed, once per idempotency key, after the receiver was down, then 503, and the sender was SIGKILLed', async () => {
    expect((await runCli(['rules', 'apply', join(dir, 'rules')], { env: env() })).code).toBe(0);
    await writeFile(join(dir, 'alerts.yml'), alertsFile());
    const applied = await runCli(['alerts', 'apply', join(dir, 'alerts.yml'), '--json'], { env: env() });
    expect(applied.stderr).toBe('');
    expect(JSON.parse(applied.stdout)).toEqual(expect.objectContaining({ destinations: 4, routes: 4, exceptions: 2 }));
    expect(applied.stdout).not.toContain(SECRET);
    // the stored configuration is sealed: no webhook secret or Slack URL in the index, and none without the server key
    await scope.opensearch.indices.refresh({ index: alertsIndex(scope.config.names) });
    const atRest = await scope.opensearch.search({ index: alertsIndex(scope.config.names), body: { size: 100, query: { match_all: {} } } as never });
    const atRestText = JSON.stringify(atRest.body);
    expect(atRestText).toContain('AES-256-GCM');
    for (const plain of [SECRET, receiver.url('/slack'), receiver.url('/hook')]) expect(atRestText).not.toContain(plain);
    const keyless = await runCli(['alerts', 'failed'], { env: { ...env(), TRAILSCOPE_SERVER_KEY: undefined } });
    expect({ code: keyless.code, stderr: keyless.stderr }).toEqual({ code: 78, stderr: expect.stringContaining('TRAILSCOPE_SERVER_KEY is not set: the stored alerts configuration is encrypted with it') });

    // receiver down while the trail is ingested and detected
    let sender = startCli(['alerts', 'send'], env());
    running.push(sender);
    expect((await runCli(['backfill', '--bucket', scope.bucket, '--alert', '--json'], { env: env() })).code).toBe(0);
    const worker = startCli(['worker', '--concurrency', '2'], env());
    running.push(worker);
    await waitFor(async () => (await pendingCounts(queue)).total === 0, { timeoutMs: 240000, intervalMs: 500, what: 'ingest queue drained' });
    await waitFor(async () => (await scope.redis.zcard(`${scope.config.names.redisPrefix}detect:pending`)) === 0, { timeoutMs: 120000, intervalMs: 500, what: 'every indexed file evaluated' });

    // the exception hid ci-bot's new-terms finding and nothing else; the expired one hid nothing
    const stored = await findings();
    const superseded = supersededOutOfOrder(stored);
    const kept = stored.filter((f) => !superseded.includes(f));
    const ciBotKey = trail.expected.find((k) => k.startsWith(`${RULE.newRegion}|`) && kept.every((f) => keyOf(f) !== k));
    expect(kept.map(keyOf).sort()).toEqual(trail.expected.filter((k) => k !== ciBotKey).sort());
    expect(kept).toHaveLength(trail.expected.length - 1);
    expect(stored.some((f) => f.principal === CI_BOT)).toBe(false);
    const stats = await runCli(['rules', 'stats', '--json'], { env: env() });
    const byRule = Object.fromEntries(stats.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ruleId: string; excepted: number; findings: number }).map((r) => [r.ruleId, r]));
    expect(byRule[RULE.newRegion]).toEqual(expect.objectContaining({ findings: 2 + superseded.length, open: 2, excepted: 1 }));
    expect(byRule[RULE.passwordData]).toEqual(expect.objectContaining({ findings: 1, excepted: 0 }));

    const expectedKeys = new Set(stored.map((f) => alertIdFor(f.id)));
    const hookQueue = new Queue(alertQueueName(scope.config, 'hook'), { connection: scope.redis });
    try {
      // the sender has been failing against the closed port and is backing off
      await waitFor(async () => (await hookQueue.getJobs(['delayed', 'waiting', 'active'])).some((j) => j.attemptsStarted > 1), { timeoutMs: 60000, what: 'failed delivery attempts while the receiver is down' });
      expect(receiver.received).toHaveLength(0);

      receiver.fail503 = 12;
      receiver.holdMs = 300;
      await receiver.up();
      await waitFor(() => receiver.fail503 === 0, { timeoutMs: 120000, what: 'twelve 503 answers' });
      await waitFor(() => receiver.acceptedKeys('/hook').size >= 2, { timeoutMs: 120000, what: 'first alerts accepted' });
      sender.child.kill('SIGKILL');
      expect(await sender.exited).toBe(137);
      sender = startCli(['alerts', 'send'], env());
      running.push(sender);
      await waitFor(() => receiver.acceptedKeys('/hook').size === expectedKeys.size, { timeoutMs: 180000, intervalMs: 500, what: 'every webhook alert accepted' });
    } finally {
      await hookQueue.close();
    }
    expect([...receiver.acceptedKeys('/hook')].sort()).toEqual([...expectedKeys].sort());
    expect(receiver.received.every((r) => r.path !== '/hook' || (r.signatureValid && expectedKeys.has(r.idempotencyKey)))).toBe(true);
    // a duplicate (a retry after the kill) carries the same key and the same alert
    for (const r of receiver.accepted('/hook')) expect(r.body.id).toBe(r.idempotencyKey);
    expect(receiver.received.filter((r) => r.status === 503).length).toBe(12);

    // Slack: the high findings, field by field
    await waitFor(() => receiver.acceptedKeys('/slack').size === 3, { timeoutMs: 120000, what: 'three Slack messages' });
    const deleted = stored.find((f) => f.ruleId === RULE.trailDeleted) as FindingDoc;
    const slack = receiver.accepted('/slack').find((r) => r.idempotencyKey === alertIdFor(deleted.id));
    const blocks = (slack?.body.blocks ?? []) as Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }>;
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '[high] Test trail deleted' } });
    expect(blocks[1]?.fields?.map((f) => f.text)).toEqual([
      '*Level*\nhigh',
      '*Account*\n555555555555',
      '*Region*\nus-east-1',
      '*Principal*\narn:aws:sts::555555555555:assumed-role/Admin/mallory',
      '*Source IP*\n198.51.100.23',
      '*Event time*\n2026-03-05T08:15:00Z',
    ]);
    expect(blocks[2]?.text?.text).toBe(`<http://trailscope.example:8080/v1/findings/${deleted.id}|Finding ${deleted.id}>`);

    // the file destination got the one finding routed to it
    await waitFor(async () => (await readFile(join(dir, 'out', 'alerts.ndjson'), 'utf8').catch(() => '')).trim() !== '', { timeoutMs: 60000, what: 'NDJSON file written' });
    const lines = (await readFile(join(dir, 'out', 'alerts.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; findingId: string });
    expect([...new Set(lines.map((l) => l.id))]).toEqual([alertIdFor(deleted.id)]);

    // 404 is not retried: the three alerts to "gone" are dead-lettered and listed
    await waitFor(async () => {
      const res = await runCli(['alerts', 'failed', '--json'], { env: env() });
      return res.stdout.trim().split('\n').filter(Boolean).length === 3 ? res : undefined;
    }, { timeoutMs: 120000, intervalMs: 1000, what: 'three dead-lettered alerts' });
    const failed = (await runCli(['alerts', 'failed', '--json'], { env: env() })).stdout.trim().split('\n').map((l) => JSON.parse(l) as { destination: string; reason: string; attempts: number });
    expect(failed.map((f) => f.destination)).toEqual(['gone', 'gone', 'gone']);
    expect(failed.every((f) => f.reason.includes('answered HTTP 404'))).toBe(true);
    expect(receiver.received.filter((r) => r.path === '/gone' && r.status === 404)).toHaveLength(3);

    // once the destination is fixed, --retry sends them
    receiver.statusByPath.delete('/gone');
    const retried = await runCli(['alerts', 'failed', '--retry', '--json'], { env: env() });
    expect(JSON.parse(retried.stdout)).toEqual({ retried: 3 });
    await waitFor(() => receiver.acceptedKeys('/gone').size === 3, { timeoutMs: 120000, what: 'the retried alerts delivered' });
    expect([...receiver.acceptedKeys('/gone')].sort()).toEqual([...receiver.acceptedKeys('/slack')].sort());
    expect((await runCli(['alerts', 'failed', '--json'], { env: env() })).stdout).toBe('');

    worker.child.kill('SIGTERM');
    await worker.exited;
  });
});
