import type { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';
import { SearchRequestSchema } from '@trailscope/query';

type QueryValue = string | string[] | undefined;

function kindOf(schema: z.ZodType): string {
  let t = schema as unknown as { def: { type: string; innerType?: unknown } };
  while ((t.def.type === 'optional' || t.def.type === 'default') && t.def.innerType) t = t.def.innerType as typeof t;
  return t.def.type;
}

const KINDS: Record<string, string> = Object.fromEntries(
  Object.entries(SearchRequestSchema.shape).map(([k, v]) => [k, kindOf(v as unknown as z.ZodType)]),
);

/** Keys that would reach an object's prototype machinery if ever assigned to a plain object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function refuseKey(key: string, field: string): void {
  if (FORBIDDEN_KEYS.has(key)) {
    throw new TrailscopeError('VALIDATION_FAILED', `${field}: "${key}" is not allowed as a query-string key`, { context: { field } });
  }
}

/**
 * A GET query string as SearchRequest input: repeated keys for lists (`accounts=1&accounts=2`), `true`/`false` for
 * booleans, and `field=path=value` (repeatable) for path = value filters. Unknown keys pass through so the strict
 * schema names them; `__proto__`, `constructor` and `prototype` (as keys or field path segments) are refused, and
 * every object built here has no prototype.
 */
export function searchInputFromQuery(query: Record<string, QueryValue>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, raw] of Object.entries(query)) {
    refuseKey(key, key);
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    if (key === 'field') {
      const fields: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
      for (const v of values) {
        const eq = v.indexOf('=');
        const path = eq > 0 ? v.slice(0, eq) : v;
        for (const segment of path.split('.')) refuseKey(segment, `field ${path}`);
        (fields[path] ??= []).push(eq > 0 ? v.slice(eq + 1) : '');
      }
      out.fields = fields;
      continue;
    }
    const kind = Object.prototype.hasOwnProperty.call(KINDS, key) ? KINDS[key] : undefined;
    const last = values[values.length - 1] as string;
    if (kind === 'array') out[key] = values;
    else if (kind === 'boolean') out[key] = last === 'true' ? true : last === 'false' ? false : last;
    else if (kind === 'number' || kind === 'int') out[key] = /^\d+$/.test(last) ? Number(last) : last;
    else out[key] = values.length > 1 ? values : last;
  }
  return out;
}
