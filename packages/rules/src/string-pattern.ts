import { RE2JS } from 're2js';
import { asciiLower } from './ascii-lower';

/** A Sigma string value split into literal text and `*` / `?` wildcards (after `\` escapes). */
export type PatternToken = { lit: string } | { wild: '*' | '?' };

export type PatternMode = 'exact' | 'contains' | 'startswith' | 'endswith';

export interface StringPattern {
  /** Tokens of the whole-value pattern, the mode's wildcards already added. */
  tokens: PatternToken[];
  cased: boolean;
  test(value: string): boolean;
}

/**
 * Sigma escapes: `\*`, `\?` and `\\` stand for the character itself; a backslash before anything else is a literal
 * backslash (so Windows paths need no doubling).
 */
export function parseSigmaString(s: string): PatternToken[] {
  const out: PatternToken[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\') {
      const next = s[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        lit += next;
        i++;
      } else lit += c;
    } else if (c === '*' || c === '?') {
      if (lit) out.push({ lit });
      lit = '';
      out.push({ wild: c });
    } else lit += c;
  }
  if (lit) out.push({ lit });
  return out;
}

export function literalTokens(s: string): PatternToken[] {
  return s === '' ? [] : [{ lit: s }];
}

export function hasWildcard(tokens: PatternToken[]): boolean {
  return tokens.some((t) => 'wild' in t);
}

function withMode(tokens: PatternToken[], mode: PatternMode): PatternToken[] {
  const star: PatternToken = { wild: '*' };
  if (mode === 'contains') return [star, ...tokens, star];
  if (mode === 'startswith') return [...tokens, star];
  if (mode === 'endswith') return [star, ...tokens];
  return tokens;
}

function fold(tokens: PatternToken[], cased: boolean): PatternToken[] {
  return cased ? tokens : tokens.map((t) => ('lit' in t ? { lit: asciiLower(t.lit) } : t));
}

/**
 * A whole-value matcher. Values without wildcards inside compare with string operations; others run on RE2, whose
 * matching time is linear in the input whatever the pattern.
 */
export function compilePattern(base: PatternToken[], mode: PatternMode, cased: boolean): StringPattern {
  const tokens = withMode(base, mode);
  const folded = fold(base, cased);
  const prep = cased ? (v: string) => v : asciiLower;
  let test: (v: string) => boolean;
  if (!hasWildcard(base)) {
    const lit = folded.map((t) => ('lit' in t ? t.lit : '')).join('');
    if (mode === 'exact') test = (v) => prep(v) === lit;
    else if (mode === 'contains') test = (v) => prep(v).includes(lit);
    else if (mode === 'startswith') test = (v) => prep(v).startsWith(lit);
    else test = (v) => prep(v).endsWith(lit);
  } else {
    const body = fold(tokens, cased)
      .map((t) => ('lit' in t ? RE2JS.quote(t.lit) : t.wild === '*' ? '.*' : '.'))
      .join('');
    const re = RE2JS.compile(`^(?:${body})$`, RE2JS.DOTALL);
    test = (v) => re.test(prep(v));
  }
  return { tokens, cased, test };
}

/** The pattern in Lucene wildcard syntax (`*`, `?`, `\` escapes), for OpenSearch wildcard queries. */
export function luceneWildcard(tokens: PatternToken[]): string {
  return tokens.map((t) => ('lit' in t ? t.lit.replace(/[\\*?]/g, (c) => `\\${c}`) : t.wild)).join('');
}
