import { RE2JS } from 're2js';
import { RuleRefusal } from './rule-refusal';
import type { Predicate } from './predicate';

/** Deepest nesting of parentheses and `not` a condition may use; deeper ones are refused, not recursed into. */
export const MAX_CONDITION_DEPTH = 64;
export const MAX_CONDITION_CHARS = 10_000;

type Token = { text: string; pos: number };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  const re = /\(|\)|[^\s()]+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) out.push({ text: m[0], pos: m.index });
  return out;
}

function globToRegExp(glob: string): RE2JS {
  const body = glob
    .split(/([*?])/)
    .map((part) => (part === '*' ? '.*' : part === '?' ? '.' : RE2JS.quote(part)))
    .join('');
  return RE2JS.compile(`^(?:${body})$`);
}

/**
 * Parses one Sigma condition (`and`, `or`, `not`, parentheses, `1 of X*`, `all of X*`, `1 of them`,
 * `all of them`; precedence not > and > or) over the compiled detection identifiers.
 */
export function parseCondition(text: string, idents: Map<string, Predicate>, line: number): Predicate {
  if (text.length > MAX_CONDITION_CHARS) throw new RuleRefusal(`condition longer than ${MAX_CONDITION_CHARS} characters`, line);
  if (text.includes('|')) {
    throw new RuleRefusal('condition aggregation after "|" (Sigma v1 count()/near) is not supported: use a correlation rule', line);
  }
  const toks = tokenize(text);
  let i = 0;
  const peek = () => toks[i]?.text.toLowerCase();
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  const fail = (msg: string): never => {
    throw new RuleRefusal(`condition "${shown}": ${msg}`, line);
  };

  const ofSet = (target: string): Predicate[] => {
    if (target.toLowerCase() === 'them') {
      const all = [...idents.entries()].filter(([k]) => !k.startsWith('_')).map(([, v]) => v);
      if (all.length === 0) fail('"them" names no detection identifier');
      return all;
    }
    const re = globToRegExp(target);
    const hits = [...idents.entries()].filter(([k]) => re.test(k)).map(([, v]) => v);
    if (hits.length === 0) fail(`"${target}" matches no detection identifier`);
    return hits;
  };

  const primary = (depth: number): Predicate => {
    if (depth > MAX_CONDITION_DEPTH) fail(`nested deeper than ${MAX_CONDITION_DEPTH} levels`);
    const tok = toks[i];
    if (tok === undefined) return fail('ends where an identifier is expected');
    const low = tok.text.toLowerCase();
    if (low === '(') {
      i++;
      const inner = orExpr(depth + 1);
      if (peek() !== ')') fail(`missing ")" for "(" at character ${tok.pos + 1}`);
      i++;
      return inner;
    }
    if (low === 'not') {
      i++;
      return { t: 'not', c: primary(depth + 1) };
    }
    if (toks[i + 1]?.text.toLowerCase() === 'of') {
      const target = toks[i + 2];
      if (target === undefined) fail(`"${tok.text} of" needs an identifier pattern or "them"`);
      i += 3;
      const set = ofSet((target as Token).text);
      if (low === '1' || low === 'any') return set.length === 1 ? (set[0] as Predicate) : { t: 'or', c: set };
      if (low === 'all') return set.length === 1 ? (set[0] as Predicate) : { t: 'and', c: set };
      return fail(`"${tok.text} of" is not supported (only "1 of" and "all of")`);
    }
    if (low === ')' || low === 'and' || low === 'or') fail(`unexpected "${tok.text}" at character ${tok.pos + 1}`);
    const p = idents.get(tok.text);
    if (p === undefined) fail(`unknown identifier "${tok.text}"`);
    i++;
    return p as Predicate;
  };

  const andExpr = (depth: number): Predicate => {
    const parts = [primary(depth)];
    while (peek() === 'and') {
      i++;
      parts.push(primary(depth));
    }
    return parts.length === 1 ? (parts[0] as Predicate) : { t: 'and', c: parts };
  };

  const orExpr = (depth: number): Predicate => {
    const parts = [andExpr(depth)];
    while (peek() === 'or') {
      i++;
      parts.push(andExpr(depth));
    }
    return parts.length === 1 ? (parts[0] as Predicate) : { t: 'or', c: parts };
  };

  if (toks.length === 0) fail('is empty');
  const p = orExpr(0);
  if (i < toks.length) fail(`unexpected "${toks[i]?.text}" at character ${(toks[i]?.pos ?? 0) + 1}`);
  return p;
}
