import { buildFinding, writeFindings, type FindingDoc } from '@trailscope/detect';
import { createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, makeConfig, runCli, uniqueNamespace } from '../support/env';

const DAY_MS = 86_400_000;

describe('setup installs detection and retention applies to findings', () => {
  const namespace = uniqueNamespace('t-det-setup');
  const config = makeConfig(namespace, { TRAILSCOPE_RETENTION_DAYS: 30 });
  const env = { TRAILSCOPE_NAMESPACE: namespace };
  let client: OpenSearchClient;

  beforeAll(() => {
    client = createOpenSearchClient(config);
  });
  afterAll(async () => {
    await cleanupNamespace(client, namespace);
    await client.close();
  });

  const rule = { kind: 'single' as const, id: 'r-1', title: 'Rule one', level: 'high', tags: ['attack.t1078'], version: 'v1' };
  const findingAt = (id: string, eventTime: string): FindingDoc =>
    buildFinding(id, rule, [{ id: `e-${id}`, eventTime, account: '111122223333', region: 'us-east-1' }], { source: 'live', now: new Date() });

  async function storedIds(): Promise<string[]> {
    await client.indices.refresh({ index: config.names.findingsIndex });
    const res = await client.search({ index: config.names.findingsIndex, body: { size: 100, query: { match_all: {} } } as never });
    return (res.body as unknown as { hits: { hits: Array<{ _id: string }> } }).hits.hits.map((h) => h._id).sort();
  }

  it('creates the findings template and index and the rule-set index, and reports them on a second run', async () => {
    const first = await runCli(['setup', '--json'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout.trim())).toMatchObject({
      detection: {
        findingsTemplate: { name: config.names.findingsTemplate, version: expect.any(Number) },
        findingsIndex: { name: config.names.findingsIndex, created: true },
        rulesIndex: { name: config.names.rulesIndex, created: true },
      },
      retention: { deletedFindings: 0 },
    });
    const mapping = (await client.indices.getMapping({ index: config.names.findingsIndex })).body[config.names.findingsIndex]?.mappings as {
      properties: Record<string, { type?: string }>;
    };
    expect(mapping.properties.lastSeen?.type).toBe('date');
    expect(mapping.properties.ruleLevel?.type).toBe('keyword');
    const second = await runCli(['setup'], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`findings index ${config.names.findingsIndex} already present`);
    expect(second.stdout).toContain(`rule-set index ${config.names.rulesIndex} already present`);
  });

  it('deletes findings whose last event is older than TRAILSCOPE_RETENTION_DAYS and keeps the others', async () => {
    const now = Date.now();
    await writeFindings(
      client,
      config,
      [
        { op: 'create', doc: findingAt('old', new Date(now - 40 * DAY_MS).toISOString()) },
        { op: 'create', doc: findingAt('recent', new Date(now - 20 * DAY_MS).toISOString()) },
      ],
      { refresh: 'wait_for' },
    );
    expect(await storedIds()).toEqual(['old', 'recent']);
    const kept = await runCli(['setup', '--json', '--retention-days', '60'], { env });
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout.trim()).retention).toMatchObject({ retentionDays: 60, deletedFindings: 0 });
    const swept = await runCli(['setup', '--json', '--retention-days', '30'], { env });
    expect(swept.code).toBe(0);
    expect(JSON.parse(swept.stdout.trim()).retention).toMatchObject({ retentionDays: 30, deletedFindings: 1 });
    expect(await storedIds()).toEqual(['recent']);
    const off = await runCli(['setup', '--json', '--retention-days', '0'], { env });
    expect(JSON.parse(off.stdout.trim()).retention).toMatchObject({ retentionDays: 0, deletedFindings: 0 });
    expect(await storedIds()).toEqual(['recent']);
  });
});
