import { loadRuleText } from './load-rules';
import { SEMANTICS_CASES, ruleText } from './semantics.cases';
import type { SingleEventRule } from './types';

function compile(detection: string): SingleEventRule {
  const loaded = loadRuleText(ruleText(detection), 'case.yml');
  expect(loaded.refused).toEqual([]);
  const rule = loaded.rules[0];
  if (rule?.kind !== 'single') throw new Error('expected a single-event rule');
  return rule;
}

describe.each(SEMANTICS_CASES)('$name', (c) => {
  const rule = compile(c.detection);
  it.each(c.yes.map((r, i) => [i, r] as const))('matches record %i', (_i, r) => expect(rule.match(r)).toBe(true));
  it.each(c.no.map((r, i) => [i, r] as const))('does not match record %i', (_i, r) => expect(rule.match(r)).toBe(false));
});
