import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';
import { SEARCH_FILTER_KEYS, type SearchFilters } from './search-filters';
import type { Scope } from './scope';

const SortValue = z.union([z.string().max(1024), z.number(), z.null()]);

const CursorSchema = z.strictObject({
  v: z.literal(2),
  /** The instant relative times were resolved against on the first page. */
  n: z.int().nonnegative(),
  /** search_after values of the last hit returned. */
  a: z.array(SortValue).min(1).max(4),
  /** Point-in-time id, once the second page opened one. */
  p: z.string().min(1).max(60000).optional(),
  /** The total counted in the snapshot `p` names: later pages in it need not count again. */
  t: z.int().nonnegative().optional(),
});

export type Cursor = z.output<typeof CursorSchema>;

/**
 * Who a cursor belongs to. Its MAC covers the whole content together with this principal, the namespace, the
 * caller's scope and the request hash, so a cursor is refused when any of them differs or a byte of it changed.
 */
export interface CursorBinding {
  /** HMAC-SHA256 key of the namespace (deriveCursorKey). */
  key: Buffer;
  /** The API key id, or a name of the local process for callers without one. */
  principal: string;
}

const MAC_BYTES = 32;
const CURSOR_RE = /^[A-Za-z0-9_-]{1,87380}\.[A-Za-z0-9_-]{43}$/;

/** The cursor MAC key of one namespace, derived with HKDF from a server secret (TRAILSCOPE_SERVER_KEY). */
export function deriveCursorKey(secret: string | Buffer, namespace: string): Buffer {
  return Buffer.from(hkdfSync('sha256', typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret, 'trailscope/cursors', `cursor-hmac-v2/${namespace}`, 32));
}

let processSecret: Buffer | undefined;

/**
 * For callers without a server key (the CLI follows its cursors itself, within one process): a key drawn at random
 * once per process, so its cursors are good in this process only and only for the namespace they were made in.
 */
export function localCursorBinding(namespace: string): CursorBinding {
  processSecret ??= randomBytes(32);
  return { key: deriveCursorKey(processSecret, namespace), principal: 'local' };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Identifies what a cursor pages through: the filters and the sort, not the page size or raw flag. */
export function requestHash(filters: SearchFilters, sort: string): string {
  const picked: Record<string, unknown> = { sort };
  for (const key of SEARCH_FILTER_KEYS) if (filters[key] !== undefined) picked[key] = filters[key];
  return createHash('sha256').update(JSON.stringify(canonical(picked))).digest('hex').slice(0, 32);
}

/** Absent (every value) and empty (no value) restrictions stay distinct; the order of the lists does not matter. */
function scopeText(scope: Scope): string {
  const list = (l: string[] | undefined) => (l === undefined ? null : [...new Set(l)].sort());
  return JSON.stringify([list(scope.accounts), list(scope.regions)]);
}

function mac(binding: CursorBinding, namespace: string, scope: Scope, hash: string, body: string): Buffer {
  // every part is JSON-encoded in one array, so no boundary between two of them can be moved
  const input = JSON.stringify(['trailscope-cursor', 2, namespace, binding.principal, scopeText(scope), hash, body]);
  return createHmac('sha256', binding.key).update(input, 'utf8').digest();
}

export interface CursorContext {
  binding: CursorBinding;
  namespace: string;
  scope: Scope;
  /** requestHash of the request the cursor pages through. */
  hash: string;
}

/** `<base64url JSON>.<base64url HMAC-SHA256>`. */
export function encodeCursor(cursor: Cursor, ctx: CursorContext): string {
  const body = Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
  return `${body}.${mac(ctx.binding, ctx.namespace, ctx.scope, ctx.hash, body).toString('base64url')}`;
}

/** The one answer to any cursor that does not verify: which check failed is for the log only. */
export function invalidCursor(reason: string, cause?: unknown): TrailscopeError {
  return new TrailscopeError('INVALID_CURSOR', 'cursor: not valid for this request; repeat the request without a cursor', {
    cause,
    context: { field: 'cursor', reason },
  });
}

/**
 * Verifies a cursor's MAC for this caller, namespace, scope and request before reading anything in it; then its
 * shape. INVALID_CURSOR otherwise, with the same message whatever failed.
 */
export function decodeCursor(text: string, ctx: CursorContext): Cursor {
  if (!CURSOR_RE.test(text)) throw invalidCursor('not of the cursor form');
  const dot = text.indexOf('.');
  const body = text.slice(0, dot);
  const given = Buffer.from(text.slice(dot + 1), 'base64url');
  const expected = mac(ctx.binding, ctx.namespace, ctx.scope, ctx.hash, body);
  if (given.length !== MAC_BYTES || !timingSafeEqual(given, expected)) {
    throw invalidCursor('MAC does not match: another caller, scope, namespace or request, or altered');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch (err) {
    throw invalidCursor('authenticated content is not JSON', err);
  }
  const parsed = CursorSchema.safeParse(json);
  if (!parsed.success) throw invalidCursor('authenticated content of another version or shape');
  return parsed.data;
}
