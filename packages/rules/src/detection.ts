import { parseCondition } from './condition';
import type { FieldPredicate, KeywordPredicate, Predicate } from './predicate';
import { RuleRefusal } from './rule-refusal';
import { compileValueTest, parseModifiers } from './value-test';
import type { YEntry, YNode } from './yaml-tree';

function fieldItem(e: YEntry): FieldPredicate | KeywordPredicate {
  const [field = '', ...mods] = e.key.split('|');
  const m = parseModifiers(mods, e.line);
  const values = e.value.kind === 'seq' ? e.value.items : [e.value];
  if (values.length === 0) throw new RuleRefusal(`${e.key}: empty value list`, e.line);
  const label = field === '' ? 'keywords' : field;
  const tests = values.map((v) => compileValueTest(v, m, label));
  if (field === '') {
    if (tests.some((t) => t.kind !== 'str')) throw new RuleRefusal(`${e.key}: keyword search supports only string values and string modifiers`, e.line);
    return { t: 'keyword', tests, all: m.all };
  }
  if (field.split('.').some((s) => s === '')) throw new RuleRefusal(`field name "${field}" has an empty path segment`, e.line);
  return { t: 'field', path: field, segs: field.split('.'), tests, all: m.all };
}

function mapItem(node: Extract<YNode, { kind: 'map' }>): Predicate {
  if (node.entries.length === 0) throw new RuleRefusal('empty detection map', node.line);
  const parts = node.entries.map(fieldItem);
  return parts.length === 1 ? (parts[0] as Predicate) : { t: 'and', c: parts };
}

function keywordList(items: YNode[], line: number): Predicate {
  const tests = items.map((v) => compileValueTest(v, parseModifiers([], v.line), 'keywords'));
  if (tests.some((t) => t.kind !== 'str')) throw new RuleRefusal('keyword lists may hold only strings', line);
  return { t: 'keyword', tests, all: false };
}

/** One detection identifier: a map (AND of fields), a list of maps (OR), or keywords (a value or list of values). */
function searchIdentifier(name: string, node: YNode): Predicate {
  if (node.kind === 'map') return mapItem(node);
  if (node.kind === 'scalar') {
    if (node.value === null) throw new RuleRefusal(`detection "${name}" is empty`, node.line);
    return keywordList([node], node.line);
  }
  if (node.items.length === 0) throw new RuleRefusal(`detection "${name}" is an empty list`, node.line);
  if (node.items.every((i) => i.kind === 'map')) {
    const alts = node.items.map((i) => mapItem(i as Extract<YNode, { kind: 'map' }>));
    return alts.length === 1 ? (alts[0] as Predicate) : { t: 'or', c: alts };
  }
  if (node.items.every((i) => i.kind === 'scalar')) return keywordList(node.items, node.line);
  throw new RuleRefusal(`detection "${name}" mixes maps and plain values in one list`, node.line);
}

/** Compiles a Sigma `detection` section to one predicate; refuses what it cannot evaluate exactly. */
export function compileDetection(detection: YNode): Predicate {
  if (detection.kind !== 'map') throw new RuleRefusal('detection must be a map of identifiers and a condition', detection.line);
  const idents = new Map<string, Predicate>();
  let condition: YEntry | undefined;
  for (const e of detection.entries) {
    if (e.key === 'condition') condition = e;
    else if (e.key === 'timeframe') throw new RuleRefusal('detection timeframe (Sigma v1) is not supported: use a correlation rule', e.line);
    else idents.set(e.key, searchIdentifier(e.key, e.value));
  }
  if (condition === undefined) throw new RuleRefusal('detection has no condition', detection.line);
  const cv = condition.value;
  const conds = cv.kind === 'seq' ? cv.items : [cv];
  if (conds.length === 0) throw new RuleRefusal('condition is an empty list', condition.line);
  const preds = conds.map((c) => {
    if (c.kind !== 'scalar' || typeof c.value !== 'string') throw new RuleRefusal('condition must be a string or a list of strings', c.line);
    return parseCondition(c.value, idents, c.line);
  });
  return preds.length === 1 ? (preds[0] as Predicate) : { t: 'or', c: preds };
}
