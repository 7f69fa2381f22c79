import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { evaluateOffline } from './evaluate-offline';
import { loadRuleFiles } from './load-rules';
import type { CompiledRule, RuleMatch, SingleEventRule } from './types';

const PACK = join(__dirname, '..', 'pack');

interface PackTests {
  history?: unknown[];
  fires: unknown[];
  quiet: unknown[];
}

async function run(rule: CompiledRule, records: unknown[]): Promise<RuleMatch[]> {
  const out: RuleMatch[] = [];
  for await (const m of evaluateOffline([rule], records)) out.push(m);
  return out;
}

const idsOf = (records: unknown[]) => new Set(records.map((r) => (r as { eventID: string }).eventID));

describe('built-in rule pack', () => {
  let rules: CompiledRule[] = [];
  beforeAll(async () => {
    const loaded = await loadRuleFiles([PACK]);
    expect(loaded.refused).toEqual([]);
    expect(loaded.skipped).toEqual([]);
    rules = loaded.rules;
  });

  it('has at least 40 rules, each with an ATT&CK technique tag, a level and a test file', () => {
    expect(rules.length).toBeGreaterThanOrEqual(40);
    for (const r of rules) {
      expect(r.tags.some((t) => /^attack\.t\d{4}(\.\d{3})?$/.test(t))).toBe(true);
      const tests = JSON.parse(readFileSync(join(PACK, 'tests', `${basename(r.file, '.yml')}.json`), 'utf8')) as PackTests;
      expect(tests.fires.length).toBeGreaterThan(0);
      expect(tests.quiet.length).toBeGreaterThan(0);
    }
  });

  it('every rule fires on its firing records and stays quiet on the others', async () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      const t = JSON.parse(readFileSync(join(PACK, 'tests', `${basename(r.file, '.yml')}.json`), 'utf8')) as PackTests;
      const label = `${r.id} (${basename(r.file)})`;
      if (r.kind === 'single') {
        for (const rec of t.fires) expect([label, r.match(rec)]).toEqual([label, true]);
        for (const rec of t.quiet) expect([label, r.match(rec)]).toEqual([label, false]);
        continue;
      }
      // Correlations and new terms judge sequences: the firing records (after any history) give a match made of
      // them; the quiet ones give none.
      const history = t.history ?? [];
      const fired = await run(r, [...history, ...t.fires]);
      const fireIds = idsOf(t.fires);
      expect([label, fired.some((m) => m.eventIds.some((id) => fireIds.has(id)))]).toEqual([label, true]);
      const quietIds = idsOf(t.quiet);
      const quiet = await run(r, [...history, ...t.quiet]);
      expect([label, quiet.filter((m) => m.eventIds.some((id) => quietIds.has(id)))]).toEqual([label, []]);
    }
  });

  it('base rules of correlations are inputs only unless the correlation generates them', () => {
    const byName = new Map(rules.filter((r): r is SingleEventRule => r.kind === 'single').map((r) => [r.name, r]));
    expect(byName.get('console_login_failed')?.standalone).toBe(false);
    expect(byName.get('secret_value_read')?.standalone).toBe(false);
    expect(byName.get('iam_admin_policy_attached')?.standalone).toBe(true);
  });
});
