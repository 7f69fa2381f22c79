import { stringify } from 'yaml';
import { TrailscopeError } from '@trailscope/model';
import { loadRuleText, type SingleEventRule } from '@trailscope/rules';
import type { ExceptionConfig } from './alerts-config';

export interface CompiledException {
  index: number;
  rule: string;
  expiresMs?: number;
  reason: string;
  author: string;
  matches: (record: unknown) => boolean;
}

/**
 * An exception's `detection` is compiled by the Sigma compiler the rules use, wrapped in a minimal rule document,
 * so that an exception means exactly what the same lines mean in a rule.
 */
export function compileException(e: ExceptionConfig, index: number, file: string): CompiledException {
  const text = stringify({ title: `exception ${index} of ${e.rule}`, id: `exception-${index}`, logsource: { product: 'aws', service: 'cloudtrail' }, level: 'low', detection: e.detection });
  const loaded = loadRuleText(text, file);
  const rule = loaded.rules[0];
  if (!rule || rule.kind !== 'single' || loaded.refused.length > 0) {
    const reason = loaded.refused[0]?.reason ?? 'not a single-event detection';
    throw new TrailscopeError('CONFIG_INVALID', `${file}: exceptions[${index}].detection: ${reason}`, { context: { file } });
  }
  const single = rule as SingleEventRule;
  return {
    index,
    rule: e.rule,
    expiresMs: e.expires === undefined ? undefined : Date.parse(e.expires),
    reason: e.reason,
    author: e.author,
    matches: (record) => {
      try {
        return single.match(record);
      } catch {
        return false;
      }
    },
  };
}

/** The exceptions of each rule still in force at `nowMs`. */
export class ExceptionSet {
  private readonly byRule = new Map<string, CompiledException[]>();

  constructor(readonly all: CompiledException[]) {
    for (const e of all) this.byRule.set(e.rule, [...(this.byRule.get(e.rule) ?? []), e]);
  }

  hasAny(ruleId: string, nowMs: number): boolean {
    return (this.byRule.get(ruleId) ?? []).some((e) => e.expiresMs === undefined || e.expiresMs > nowMs);
  }

  /** The first exception in force that names this record, if any. */
  match(ruleId: string, record: unknown, nowMs: number): CompiledException | undefined {
    return (this.byRule.get(ruleId) ?? []).find((e) => (e.expiresMs === undefined || e.expiresMs > nowMs) && e.matches(record));
  }
}
