import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compileDetection } from './detection';
import { candidateDsl, exactDsl } from './dsl';
import { parseDurationMs } from './duration';
import { evaluate, type Predicate } from './predicate';
import { RuleRefusal } from './rule-refusal';
import {
  RULE_LEVELS,
  type CompiledRule,
  type CorrelationCondition,
  type CorrelationRule,
  type NewTermsField,
  type NewTermsRule,
  type RefusedRule,
  type RuleBase,
  type RuleLevel,
  type RuleLoadResult,
  type SingleEventRule,
  type SkippedRule,
} from './types';
import { entry, parseYamlDocuments, plain, type YDocument, type YNode } from './yaml-tree';

/** Largest rule file read; larger ones are refused unread (a Sigma rule is a few kilobytes). */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;
export const MAX_NEW_TERMS_FIELDS = 8;

const CORRELATION_TYPES = ['event_count', 'value_count', 'temporal', 'temporal_ordered'] as const;

interface Meta {
  id: string;
  name?: string;
  title: string;
  level: RuleLevel;
  tags: string[];
  status?: string;
  description?: string;
}

function str(node: YNode | undefined): string | undefined {
  return node?.kind === 'scalar' && node.value !== null ? String(node.value) : undefined;
}

function metaOf(root: YNode, doc: YDocument): Meta {
  const title = str(entry(root, 'title')?.value);
  if (title === undefined || title.trim() === '') throw new RuleRefusal('rule has no title', root.line);
  const name = str(entry(root, 'name')?.value);
  const id = str(entry(root, 'id')?.value) ?? name;
  if (id === undefined || id.trim() === '') throw new RuleRefusal('rule has neither id nor name', root.line);
  const levelEntry = entry(root, 'level');
  const level = (str(levelEntry?.value) ?? 'medium').toLowerCase();
  if (!(RULE_LEVELS as readonly string[]).includes(level)) {
    throw new RuleRefusal(`level "${level}" is not one of ${RULE_LEVELS.join(', ')}`, levelEntry?.line ?? doc.line);
  }
  const tagsEntry = entry(root, 'tags');
  let tags: string[] = [];
  if (tagsEntry !== undefined) {
    const t = plain(tagsEntry.value);
    if (!Array.isArray(t) || t.some((x) => typeof x !== 'string')) throw new RuleRefusal('tags must be a list of strings', tagsEntry.line);
    tags = t as string[];
  }
  return { id, name, title, level: level as RuleLevel, tags, status: str(entry(root, 'status')?.value), description: str(entry(root, 'description')?.value) };
}

function versionOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function singleRule(base: Omit<RuleBase, 'kind'>, pred: Predicate): SingleEventRule {
  let dsl: { exact: object | undefined; candidate: object } | undefined;
  const dslOf = () => (dsl ??= { exact: exactDsl(pred), candidate: candidateDsl(pred) });
  return {
    ...base,
    kind: 'single',
    standalone: true,
    match: (record: unknown) => evaluate(pred, record),
    toDsl: () => dslOf().exact,
    candidateDsl: () => dslOf().candidate,
  };
}

function logsourceSkip(root: YNode): string | undefined {
  const ls = entry(root, 'logsource');
  if (ls === undefined) throw new RuleRefusal('rule has no logsource', root.line);
  if (ls.value.kind !== 'map') throw new RuleRefusal('logsource must be a map', ls.line);
  const product = str(entry(ls.value, 'product')?.value)?.toLowerCase();
  const service = str(entry(ls.value, 'service')?.value)?.toLowerCase();
  if (product === 'aws' && service === 'cloudtrail') return undefined;
  return `logsource product ${product ?? '(none)'} / service ${service ?? '(none)'} is not aws / cloudtrail`;
}

function numberOf(node: YNode, what: string): number {
  const v = node.kind === 'scalar' && typeof node.value === 'string' ? Number(node.value) : NaN;
  if (!Number.isFinite(v) || !Number.isInteger(v) || v < 0) throw new RuleRefusal(`${what} must be a whole number, got ${JSON.stringify(plain(node))}`, node.line);
  return v;
}

function stringList(node: YNode, what: string): string[] {
  const items = node.kind === 'seq' ? node.items : [node];
  return items.map((i) => {
    const s = str(i);
    if (s === undefined || i.kind !== 'scalar' || s === '') throw new RuleRefusal(`${what} must be a list of names`, i.line);
    return s;
  });
}

interface PendingCorrelation {
  rule: Omit<CorrelationRule, 'baseRules' | 'groupFields'>;
  doc: YDocument;
}

function aliasesOf(node: YNode, line: number): Record<string, Record<string, string>> {
  if (node.kind !== 'map') throw new RuleRefusal('correlation aliases must be a map: alias name → {rule name: field}', line);
  const out: Record<string, Record<string, string>> = {};
  for (const a of node.entries) {
    if (a.value.kind !== 'map' || a.value.entries.length === 0) throw new RuleRefusal(`correlation alias "${a.key}" must be a map of rule name to field name`, a.line);
    const fields: Record<string, string> = {};
    for (const e of a.value.entries) {
      const f = str(e.value);
      if (e.value.kind !== 'scalar' || f === undefined || f === '') throw new RuleRefusal(`correlation alias "${a.key}": the field for rule ${e.key} must be a field name`, e.line);
      fields[e.key] = f;
    }
    out[a.key] = fields;
  }
  return out;
}

function correlationOf(base: Omit<RuleBase, 'kind'>, root: YNode, node: YNode, line: number): PendingCorrelation['rule'] {
  if (node.kind !== 'map') throw new RuleRefusal('correlation must be a map', line);
  const typeEntry = entry(node, 'type');
  const type = str(typeEntry?.value);
  if (!(CORRELATION_TYPES as readonly string[]).includes(type ?? '')) {
    throw new RuleRefusal(`correlation type "${type ?? ''}" is not one of ${CORRELATION_TYPES.join(', ')}`, typeEntry?.line ?? line);
  }
  const known = new Set(['type', 'rules', 'group-by', 'timespan', 'condition', 'generate', 'aliases']);
  for (const e of node.entries) if (!known.has(e.key)) throw new RuleRefusal(`unknown correlation attribute "${e.key}"`, e.line);
  const al = entry(node, 'aliases');
  const aliases = al === undefined ? {} : aliasesOf(al.value, al.line);
  const rulesEntry = entry(node, 'rules');
  if (rulesEntry === undefined) throw new RuleRefusal('correlation has no rules', line);
  const rules = stringList(rulesEntry.value, 'correlation rules');
  const gb = entry(node, 'group-by');
  const groupBy = gb === undefined ? [] : stringList(gb.value, 'correlation group-by');
  const ts = entry(node, 'timespan');
  if (ts === undefined) throw new RuleRefusal('correlation has no timespan', line);
  const timespanMs = parseDurationMs(str(ts.value), 'correlation timespan', ts.line);
  const ce = entry(node, 'condition');
  const condition: CorrelationCondition = {};
  let valueField: string | undefined;
  if (ce !== undefined) {
    if (ce.value.kind !== 'map' || ce.value.entries.length === 0) throw new RuleRefusal('correlation condition must be a map such as {gte: 10}', ce.line);
    for (const e of ce.value.entries) {
      if (e.key === 'field') {
        valueField = str(e.value);
        if (valueField === undefined) throw new RuleRefusal('correlation condition field must be a field name', e.line);
      } else if (e.key === 'gt' || e.key === 'gte' || e.key === 'lt' || e.key === 'lte' || e.key === 'eq') {
        condition[e.key] = numberOf(e.value, `correlation condition ${e.key}`);
      } else throw new RuleRefusal(`correlation condition "${e.key}" is not one of gt, gte, lt, lte, eq, field`, e.line);
    }
  }
  const bounds = Object.keys(condition).length;
  if (type === 'value_count' && valueField === undefined) throw new RuleRefusal('value_count correlation needs condition.field', ce?.line ?? line);
  if (type !== 'value_count' && valueField !== undefined) throw new RuleRefusal(`condition.field applies only to value_count, not ${type}`, ce?.line ?? line);
  if (type === 'temporal' || type === 'temporal_ordered') {
    if (bounds === 0) condition.gte = rules.length;
  } else if (bounds === 0) throw new RuleRefusal(`${type} correlation needs a condition such as {gte: 10}`, ce?.line ?? line);
  const genNode = entry(node, 'generate') ?? entry(root, 'generate');
  const generate = genNode !== undefined && genNode.value.kind === 'scalar' && genNode.value.value === true;
  return { ...base, kind: 'correlation', type: type as CorrelationRule['type'], rules, groupBy, aliases, timespanMs, condition, valueField, generate };
}

function newTermsOf(base: Omit<RuleBase, 'kind'>, node: YNode, detection: SingleEventRule | undefined): NewTermsRule {
  if (node.kind !== 'map') throw new RuleRefusal('trailscope.new_terms must be a map with fields and history', node.line);
  for (const e of node.entries) if (e.key !== 'fields' && e.key !== 'history') throw new RuleRefusal(`unknown new_terms attribute "${e.key}"`, e.line);
  const fe = entry(node, 'fields');
  if (fe === undefined || fe.value.kind !== 'seq' || fe.value.items.length === 0) throw new RuleRefusal('new_terms needs a non-empty list of fields', fe?.line ?? node.line);
  if (fe.value.items.length > MAX_NEW_TERMS_FIELDS) throw new RuleRefusal(`new_terms allows at most ${MAX_NEW_TERMS_FIELDS} fields`, fe.line);
  const terms: NewTermsField[] = fe.value.items.map((i) => {
    const s = str(i);
    if (i.kind === 'scalar' && s !== undefined && s !== '') return { field: s };
    if (i.kind === 'map') {
      const field = str(entry(i, 'field')?.value);
      const net = entry(i, 'network');
      for (const e of i.entries) if (e.key !== 'field' && e.key !== 'network') throw new RuleRefusal(`unknown new_terms field attribute "${e.key}"`, e.line);
      if (field === undefined || field === '') throw new RuleRefusal('new_terms field entry needs "field"', i.line);
      if (net === undefined) return { field };
      const bits = numberOf(net.value, 'new_terms network');
      if (bits < 1 || bits > 128) throw new RuleRefusal('new_terms network must be a prefix length from 1 to 128', net.line);
      return { field, networkBits: bits };
    }
    throw new RuleRefusal('new_terms fields are field names or {field, network}', i.line);
  });
  const he = entry(node, 'history');
  if (he === undefined) throw new RuleRefusal('new_terms needs history (such as 14d)', node.line);
  const historyMs = parseDurationMs(str(he.value), 'new_terms history', he.line);
  if (detection) detection.standalone = false;
  return { ...base, kind: 'new_terms', base: detection, fields: terms.map((t) => t.field), terms, historyMs };
}

type DocOutcome =
  | { kind: 'rule'; rule: CompiledRule }
  | { kind: 'correlation'; pending: PendingCorrelation }
  | { kind: 'skipped'; skipped: SkippedRule }
  | { kind: 'refused'; refused: RefusedRule };

function loadDocument(doc: YDocument, file: string): DocOutcome {
  if (doc.error) return { kind: 'refused', refused: { file, line: doc.error.line, reason: `YAML: ${doc.error.message}` } };
  const root = doc.root as YNode;
  let meta: Partial<Meta> = {};
  try {
    if (root.kind !== 'map') throw new RuleRefusal('a rule document must be a map', root.line);
    meta = { id: str(entry(root, 'id')?.value) ?? str(entry(root, 'name')?.value), title: str(entry(root, 'title')?.value) };
    const action = entry(root, 'action');
    if (action !== undefined) throw new RuleRefusal(`action "${str(action.value) ?? ''}" (Sigma v1 rule collections) is not supported`, action.line);
    if (entry(root, 'filter') !== undefined) throw new RuleRefusal('Sigma filter rules are not supported', entry(root, 'filter')?.line);
    const m = metaOf(root, doc);
    meta = m;
    const base = { ...m, version: versionOf(doc.text), file, line: doc.line };
    const corr = entry(root, 'correlation');
    if (corr !== undefined) {
      if (entry(root, 'detection') !== undefined) throw new RuleRefusal('a rule has either detection or correlation, not both', corr.line);
      return { kind: 'correlation', pending: { rule: correlationOf(base, root, corr.value, corr.line), doc } };
    }
    const ext = entry(root, 'trailscope');
    let ntNode: YNode | undefined;
    if (ext !== undefined) {
      if (ext.value.kind !== 'map') throw new RuleRefusal('trailscope must be a map', ext.line);
      for (const e of ext.value.entries) if (e.key !== 'new_terms') throw new RuleRefusal(`unknown trailscope attribute "${e.key}"`, e.line);
      ntNode = entry(ext.value, 'new_terms')?.value;
    }
    const skip = logsourceSkip(root);
    if (skip !== undefined) return { kind: 'skipped', skipped: { file, line: doc.line, id: m.id, title: m.title, reason: skip } };
    const det = entry(root, 'detection');
    if (det === undefined && ntNode === undefined) throw new RuleRefusal('rule has no detection', root.line);
    const single = det === undefined ? undefined : singleRule(base, compileDetection(det.value));
    if (ntNode !== undefined) return { kind: 'rule', rule: newTermsOf(base, ntNode, single) };
    return { kind: 'rule', rule: single as SingleEventRule };
  } catch (e) {
    if (!(e instanceof RuleRefusal)) throw e;
    return { kind: 'refused', refused: { file, line: e.line ?? doc.line, id: meta.id, title: meta.title, reason: e.message } };
  }
}

/**
 * group-by per base rule: an alias names, for each base rule (by name or id), the field holding the group value in
 * that rule's events. An alias must name a field for every base rule, and only base rules of the correlation: an
 * event whose group field is unknown cannot be grouped exactly.
 */
function groupFieldsOf(rule: PendingCorrelation['rule'], baseRules: SingleEventRule[], byRef: Map<string, SingleEventRule>): string[][] | string {
  for (const [alias, fields] of Object.entries(rule.aliases)) {
    for (const ref of Object.keys(fields)) {
      const b = byRef.get(ref);
      if (b === undefined || !baseRules.includes(b)) return `alias "${alias}" names rule ${ref}, which is not one of the correlation's rules`;
    }
  }
  const out: string[][] = [];
  for (const b of baseRules) {
    const row: string[] = [];
    for (const g of rule.groupBy) {
      const fields = rule.aliases[g];
      const f = fields === undefined ? g : ((b.name !== undefined ? fields[b.name] : undefined) ?? fields[b.id]);
      if (f === undefined) return `alias "${g}" names no field for rule ${b.name ?? b.id}`;
      row.push(f);
    }
    out.push(row);
  }
  return out;
}

class Collector {
  readonly rules: CompiledRule[] = [];
  readonly refused: RefusedRule[] = [];
  readonly skipped: SkippedRule[] = [];
  private readonly pending: PendingCorrelation[] = [];
  private readonly ids = new Map<string, string>();

  private claim(id: string, where: string, file: string, line: number, title: string): boolean {
    const prior = this.ids.get(id);
    if (prior !== undefined) {
      this.refused.push({ file, line, id, title, reason: `rule id ${id} is already defined at ${prior}` });
      return false;
    }
    this.ids.set(id, where);
    return true;
  }

  addText(text: string, file: string): void {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_RULE_FILE_BYTES) {
      this.refused.push({ file, reason: `rule file is ${bytes} bytes, over the limit of ${MAX_RULE_FILE_BYTES}` });
      return;
    }
    let docs: YDocument[];
    try {
      docs = parseYamlDocuments(text);
    } catch (e) {
      this.refused.push({ file, reason: `YAML: ${(e as Error).message}` });
      return;
    }
    if (docs.length === 0) this.refused.push({ file, reason: 'file holds no rule' });
    for (const doc of docs) {
      const out = loadDocument(doc, file);
      if (out.kind === 'refused') this.refused.push(out.refused);
      else if (out.kind === 'skipped') this.skipped.push(out.skipped);
      else {
        const r = out.kind === 'rule' ? out.rule : out.pending.rule;
        if (!this.claim(r.id, `${file}:${r.line}`, file, r.line, r.title)) continue;
        if (out.kind === 'rule') this.rules.push(out.rule);
        else this.pending.push(out.pending);
      }
    }
  }

  /** Correlations refer to rules by id or name, possibly in other files: resolved once everything is read. */
  finish(): RuleLoadResult {
    const byRef = new Map<string, SingleEventRule>();
    for (const r of this.rules) {
      if (r.kind !== 'single') continue;
      byRef.set(r.id, r);
      if (r.name !== undefined && !byRef.has(r.name)) byRef.set(r.name, r);
    }
    const correlationRefs = new Set(this.pending.flatMap((p) => [p.rule.id, ...(p.rule.name ? [p.rule.name] : [])]));
    const skippedRefs = new Set(this.skipped.flatMap((s) => (s.id ? [s.id] : [])));
    const used: Array<{ base: SingleEventRule; generate: boolean }> = [];
    for (const { rule } of this.pending) {
      const baseRules: SingleEventRule[] = [];
      let reason: string | undefined;
      for (const ref of rule.rules) {
        const b = byRef.get(ref);
        if (b !== undefined) baseRules.push(b);
        else if (correlationRefs.has(ref)) reason = `refers to correlation ${ref}: chained correlations are not supported`;
        else if (skippedRefs.has(ref)) reason = `refers to rule ${ref}, which is not an aws/cloudtrail rule`;
        else reason = `refers to rule ${ref}, which is not loaded (no single-event rule has that id or name)`;
        if (reason) break;
      }
      let groupFields: string[][] = [];
      if (!reason) {
        const resolved = groupFieldsOf(rule, baseRules, byRef);
        if (typeof resolved === 'string') reason = resolved;
        else groupFields = resolved;
      }
      if (reason) {
        this.refused.push({ file: rule.file, line: rule.line, id: rule.id, title: rule.title, reason: `correlation ${reason}` });
        continue;
      }
      for (const b of baseRules) used.push({ base: b, generate: rule.generate });
      this.rules.push({ ...rule, baseRules, groupFields });
    }
    const generated = new Set(used.filter((u) => u.generate).map((u) => u.base));
    for (const u of used) if (!generated.has(u.base)) u.base.standalone = false;
    return { rules: this.rules, refused: this.refused, skipped: this.skipped };
  }
}

/** Loads every rule of one YAML text (one or more documents); `file` names it in refusals. */
export function loadRuleText(text: string, file: string): RuleLoadResult {
  const c = new Collector();
  c.addText(text, file);
  return c.finish();
}

async function ruleFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await ruleFilesUnder(p)));
    else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(p);
  }
  return out;
}

/**
 * Loads rule files and directories (walked for .yml/.yaml files). Each file, and each document in a file, is
 * loaded on its own: an unreadable file or a bad rule is reported in `refused` and never stops the others.
 */
export async function loadRuleFiles(paths: string[]): Promise<RuleLoadResult> {
  const c = new Collector();
  for (const path of paths) {
    let files: string[];
    try {
      const st = await stat(path);
      files = st.isDirectory() ? await ruleFilesUnder(path) : [path];
    } catch (e) {
      c.refused.push({ file: path, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    for (const file of files) {
      try {
        const st = await stat(file);
        if (st.size > MAX_RULE_FILE_BYTES) {
          c.refused.push({ file, reason: `rule file is ${st.size} bytes, over the limit of ${MAX_RULE_FILE_BYTES}` });
          continue;
        }
        c.addText(await readFile(file, 'utf8'), file);
      } catch (e) {
        c.refused.push({ file, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      }
    }
  }
  return c.finish();
}
