import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventMappings } from '@trailscope/indexer';
import { normalize } from '@trailscope/parser';
import { loadRuleFiles, loadRuleText, type SingleEventRule } from '@trailscope/rules';
import { createOpenSearchClient } from '@trailscope/runtime';
import { SEMANTICS_CASES, ruleText } from '../../packages/rules/src/semantics.cases';
import { cleanupNamespace, makeConfig, REPO_ROOT, uniqueNamespace } from '../support/env';

/**
 * The DSL a rule compiles to selects exactly what match() accepts, over the same records indexed with the real
 * event mapping; where the DSL is not exact, the candidate query still holds every match.
 */
describe('rules: toDsl() hits equal match() over indexed records', () => {
  const namespace = uniqueNamespace('t-rules-dsl');
  const config = makeConfig(namespace);
  const client = createOpenSearchClient(config);
  const index = `${namespace}-events-dsl`;
  const records: Array<Record<string, unknown>> = [];
  const rules: Array<{ label: string; rule: SingleEventRule }> = [];

  beforeAll(async () => {
    for (const c of SEMANTICS_CASES) {
      records.push(...c.yes, ...c.no);
      const r = loadRuleText(ruleText(c.detection, 'case'), 'case.yml').rules[0];
      if (r?.kind === 'single') rules.push({ label: c.name, rule: r });
    }
    const packDir = join(REPO_ROOT, 'packages', 'rules', 'pack');
    for (const f of readdirSync(join(packDir, 'tests'))) {
      const t = JSON.parse(readFileSync(join(packDir, 'tests', f), 'utf8')) as Record<string, Array<Record<string, unknown>>>;
      for (const list of Object.values(t)) records.push(...list);
    }
    // Pack tests reuse a record across their firing and quiet lists: index each event once.
    const byId = new Map(records.map((r) => [r.eventID, r]));
    records.splice(0, records.length, ...byId.values());
    const pack = await loadRuleFiles([packDir]);
    for (const r of pack.rules) if (r.kind === 'single') rules.push({ label: r.id, rule: r });
    for (const r of pack.rules) if (r.kind === 'new_terms' && r.base) rules.push({ label: `${r.id} base`, rule: r.base });

    await client.indices.create({ index, body: { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: eventMappings() } });
    const source = { bucket: 'b', key: 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/x.json.gz', etag: 'e', kind: 'log' as const, account: '111122223333', region: 'us-east-1' };
    const body = records.flatMap((r) => {
      const doc = normalize(r, JSON.stringify(r), source, '2026-03-01T12:00:00Z');
      return [{ index: { _index: index, _id: doc.id } }, doc];
    });
    const res = await client.bulk({ body, refresh: true });
    expect(res.body.errors).toBe(false);
  });

  afterAll(async () => {
    await cleanupNamespace(client, namespace);
    await client.close();
  });

  async function hits(query: object): Promise<string[]> {
    const res = await client.search({ index, body: { query, size: 10_000, _source: false } });
    return (res.body.hits.hits as Array<{ _id: string }>).map((h) => h._id).sort();
  }

  it('indexes every record once (unique event ids)', () => {
    expect(new Set(records.map((r) => r.eventID)).size).toBe(records.length);
  });

  it('gives identical results through the DSL and through match(), or a candidate superset when inexact', async () => {
    let exact = 0;
    for (const { label, rule } of rules) {
      const want = records.filter((r) => rule.match(r)).map((r) => r.eventID as string).sort();
      const dsl = rule.toDsl();
      if (dsl !== undefined) {
        exact++;
        expect([label, await hits(dsl)]).toEqual([label, want]);
      }
      const candidates = new Set(await hits(rule.candidateDsl()));
      expect([label, want.filter((id) => !candidates.has(id))]).toEqual([label, []]);
    }
    // Most rules compile exactly; the others are the documented cases (re, fieldref, keywords, nested flat paths).
    expect(exact).toBeGreaterThan(rules.length / 2);
  });
});
