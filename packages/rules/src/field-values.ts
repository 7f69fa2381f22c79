/** A leaf of a record as Sigma compares it: scalars as text, JSON null as null. */
export type FieldValue = string | null;

/** Upper bound on the values one path may yield from one record, so a hostile record cannot make matching quadratic. */
export const MAX_VALUES_PER_FIELD = 10_000;

function pushLeaves(v: unknown, out: FieldValue[]): void {
  if (out.length >= MAX_VALUES_PER_FIELD) return;
  if (v === null) out.push(null);
  else if (typeof v === 'string') out.push(v);
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) pushLeaves(x, out);
  else if (typeof v === 'object') for (const k of Object.keys(v)) pushLeaves((v as Record<string, unknown>)[k], out);
}

function walk(v: unknown, segs: readonly string[], i: number, out: FieldValue[]): void {
  if (out.length >= MAX_VALUES_PER_FIELD) return;
  if (i === segs.length) {
    pushLeaves(v, out);
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) walk(x, segs, i, out);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  const obj = v as Record<string, unknown>;
  // A key may itself contain dots (`"aws:SourceIp"` no, but `"s3.amazonaws.com"` yes): try every split, as
  // flat_object's dotted paths do.
  let key = '';
  for (let j = i; j < segs.length; j++) {
    key = j === i ? (segs[j] as string) : `${key}.${segs[j] as string}`;
    if (Object.prototype.hasOwnProperty.call(obj, key)) walk(obj[key], segs, j + 1, out);
  }
}

/**
 * Every value a Sigma field path selects in a record: objects are walked by key, arrays fan out (any element), and
 * a path ending on an object or array yields every leaf beneath it. An absent path yields no value.
 */
export function fieldValues(record: unknown, segs: readonly string[]): FieldValue[] {
  const out: FieldValue[] = [];
  walk(record, segs, 0, out);
  return out;
}
