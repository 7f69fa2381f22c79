import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { RE2JS } from 're2js';
import { fieldValues, type FieldValue } from './field-values';
import { RuleRefusal } from './rule-refusal';
import { compilePattern, hasWildcard, literalTokens, parseSigmaString, type PatternMode, type StringPattern } from './string-pattern';
import type { YNode } from './yaml-tree';

/** One listed value of a detection field, compiled. A field item ORs its tests (ANDs them with `all`). */
export type ValueTest =
  | { kind: 'str'; patterns: StringPattern[] }
  | { kind: 're'; source: string; flags: string; re: RE2JS }
  | { kind: 'null' }
  | { kind: 'exists'; want: boolean }
  | { kind: 'cidr'; cidr: string; range: [ipaddr.IPv4 | ipaddr.IPv6, number] }
  | { kind: 'fieldref'; path: string; segs: string[] };

export const MAX_REGEX_CHARS = 4096;

const KNOWN = new Set(['contains', 'startswith', 'endswith', 'all', 'cased', 're', 'i', 'm', 's', 'exists', 'cidr', 'fieldref', 'base64', 'base64offset']);

export interface Modifiers {
  mode: PatternMode;
  all: boolean;
  cased: boolean;
  re?: { i: boolean; m: boolean; s: boolean };
  exists: boolean;
  cidr: boolean;
  fieldref: boolean;
  base64?: 'base64' | 'base64offset';
}

/** Parses and validates `field|mod|mod`; refuses unknown modifiers and combinations whose meaning is unclear. */
export function parseModifiers(mods: string[], line: number): Modifiers {
  const seen = new Set<string>();
  for (const m of mods) {
    if (!KNOWN.has(m)) throw new RuleRefusal(`unsupported modifier |${m}`, line);
    if (seen.has(m)) throw new RuleRefusal(`modifier |${m} given twice`, line);
    seen.add(m);
  }
  const modes = (['contains', 'startswith', 'endswith'] as const).filter((m) => seen.has(m));
  if (modes.length > 1) throw new RuleRefusal(`modifiers |${modes.join(' and |')} exclude each other`, line);
  const has = (m: string) => seen.has(m);
  const reFlags = ['i', 'm', 's'].filter(has);
  if (reFlags.length > 0 && !has('re')) throw new RuleRefusal(`modifier |${reFlags[0]} applies only after |re`, line);
  const special = ['re', 'exists', 'cidr', 'fieldref'].filter(has);
  if (special.length > 1) throw new RuleRefusal(`modifiers |${special.join(' and |')} cannot be combined`, line);
  const only = special[0];
  if (only !== undefined) {
    const others = [...seen].filter((m) => m !== only && m !== 'all' && !(only === 're' && reFlags.includes(m)));
    if (others.length > 0) throw new RuleRefusal(`modifier |${only} cannot be combined with |${others[0]}`, line);
  }
  if (has('base64') && has('base64offset')) throw new RuleRefusal('modifiers |base64 and |base64offset exclude each other', line);
  if (has('base64offset') && !has('contains')) throw new RuleRefusal('modifier |base64offset needs |contains', line);
  if ((has('base64') || has('base64offset')) && has('cased')) throw new RuleRefusal('|base64 values are always compared case-sensitively; drop |cased', line);
  return {
    mode: modes[0] ?? 'exact',
    all: has('all'),
    cased: has('cased') || has('base64') || has('base64offset'),
    re: has('re') ? { i: has('i'), m: has('m'), s: has('s') } : undefined,
    exists: has('exists'),
    cidr: has('cidr'),
    fieldref: has('fieldref'),
    base64: has('base64') ? 'base64' : has('base64offset') ? 'base64offset' : undefined,
  };
}

function base64OffsetVariants(value: string): string[] {
  // The three alignments of `value` inside a longer base64 text, as Sigma defines |base64offset.
  const bytes = Buffer.from(value, 'utf8');
  const starts = [0, 2, 3];
  const ends = [0, 3, 2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), bytes]).toString('base64');
    const cut = ends[(bytes.length + i) % 3] as number;
    out.push(enc.slice(starts[i] as number, cut === 0 ? undefined : enc.length - cut));
  }
  return out;
}

function scalarText(node: YNode, what: string): string | null {
  if (node.kind !== 'scalar') throw new RuleRefusal(`${what}: a value list may hold only plain values, not ${node.kind === 'map' ? 'maps' : 'lists'}`, node.line);
  if (node.value === null) return null;
  return typeof node.value === 'boolean' ? String(node.value) : node.value;
}

function parseCidr(text: string, line: number): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  try {
    const t = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`;
    return ipaddr.parseCIDR(t);
  } catch {
    throw new RuleRefusal(`|cidr value "${text}" is not an IPv4 or IPv6 network`, line);
  }
}

/** The address a field value denotes, IPv4-mapped IPv6 read as IPv4 (as OpenSearch's ip field stores it). */
export function ipOf(v: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (isIP(v) === 0) return undefined;
  const a = ipaddr.parse(v);
  return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
}

export function compileValueTest(node: YNode, mods: Modifiers, field: string): ValueTest {
  const line = node.line;
  if (mods.exists) {
    if (node.kind !== 'scalar' || typeof node.value !== 'boolean') throw new RuleRefusal(`${field}|exists needs true or false`, line);
    return { kind: 'exists', want: node.value };
  }
  const text = scalarText(node, field);
  if (text === null) {
    if (mods.re || mods.cidr || mods.fieldref || mods.base64 || mods.mode !== 'exact') {
      throw new RuleRefusal(`${field}: null cannot be used with modifiers`, line);
    }
    return { kind: 'null' };
  }
  if (mods.re) {
    if (text.length > MAX_REGEX_CHARS) throw new RuleRefusal(`${field}|re: pattern longer than ${MAX_REGEX_CHARS} characters`, line);
    const flags = (mods.re.i ? RE2JS.CASE_INSENSITIVE : 0) | (mods.re.m ? RE2JS.MULTILINE : 0) | (mods.re.s ? RE2JS.DOTALL : 0);
    try {
      return { kind: 're', source: text, flags: `${mods.re.i ? 'i' : ''}${mods.re.m ? 'm' : ''}${mods.re.s ? 's' : ''}`, re: RE2JS.compile(text, flags) };
    } catch (e) {
      throw new RuleRefusal(`${field}|re: ${(e as Error).message} (patterns run on RE2: no backreferences or lookaround)`, line);
    }
  }
  if (mods.cidr) return { kind: 'cidr', cidr: text, range: parseCidr(text, line) };
  if (mods.fieldref) {
    if (text === '' || hasWildcard(parseSigmaString(text))) throw new RuleRefusal(`${field}|fieldref needs a field name, got "${text}"`, line);
    return { kind: 'fieldref', path: text, segs: text.split('.') };
  }
  if (mods.base64) {
    if (hasWildcard(parseSigmaString(text))) throw new RuleRefusal(`${field}|${mods.base64}: wildcards cannot be base64-encoded`, line);
    const plainText = text.replace(/\\([*?\\])/g, '$1');
    const encoded = mods.base64 === 'base64' ? [Buffer.from(plainText, 'utf8').toString('base64')] : base64OffsetVariants(plainText);
    return { kind: 'str', patterns: encoded.map((e) => compilePattern(literalTokens(e), mods.mode, true)) };
  }
  return { kind: 'str', patterns: [compilePattern(parseSigmaString(text), mods.mode, mods.cased)] };
}

function hasValue(values: FieldValue[]): boolean {
  for (const v of values) if (v !== null) return true;
  return false;
}

/** Whether one compiled value test holds for the values a path selected in `record`. */
export function runValueTest(t: ValueTest, values: FieldValue[], record: unknown): boolean {
  switch (t.kind) {
    case 'str':
      for (const v of values) {
        if (v === null) continue;
        for (const p of t.patterns) if (p.test(v)) return true;
      }
      return false;
    case 're':
      for (const v of values) if (v !== null && t.re.test(v)) return true;
      return false;
    case 'null':
      return !hasValue(values);
    case 'exists':
      return hasValue(values) === t.want;
    case 'cidr':
      for (const v of values) {
        if (v === null) continue;
        const a = ipOf(v);
        if (a === undefined) continue;
        // An IPv6 network may hold IPv4 addresses in their mapped form (::ffff:0:0/96), as OpenSearch's ip field sees them.
        const addr = a.kind() === t.range[0].kind() ? a : a.kind() === 'ipv4' ? (a as ipaddr.IPv4).toIPv4MappedAddress() : undefined;
        if (addr !== undefined && addr.match(t.range)) return true;
      }
      return false;
    case 'fieldref': {
      const other = fieldValues(record, t.segs);
      for (const v of values) if (v !== null && other.includes(v)) return true;
      return false;
    }
  }
}
