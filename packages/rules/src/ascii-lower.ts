const UPPER = /[A-Z]/;

/**
 * Lower-cases ASCII letters only. Sigma's case-insensitive matching is done this way on both sides, the same folding
 * as OpenSearch's `case_insensitive` term/prefix/wildcard queries, so that match() and the DSL agree on every input
 * (a full Unicode fold would, for instance, turn the Kelvin sign into `k`).
 */
export function asciiLower(s: string): string {
  if (!UPPER.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}
