import { parseDocument } from 'yaml';
import { z } from 'zod';
import { RULE_LEVELS } from '@trailscope/rules';
import { TrailscopeError } from '@trailscope/model';

/** Sigma levels, lowest first: `minLevel` routes a finding whose level is at or above it. */
export const ALERT_LEVELS = RULE_LEVELS;

const DURATION_RE = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `5m`, `24h`, `7d` as milliseconds; undefined when not a duration. */
export function durationMs(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

const duration = z.string({ error: 'must be a duration such as 30s, 5m, 24h or 7d' }).transform((s, ctx) => {
  const ms = durationMs(s);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration such as 30s, 5m, 24h or 7d` });
    return z.NEVER;
  }
  return ms;
});

const name = z.string({ error: 'must be a string' }).regex(/^[a-z][a-z0-9_-]{0,39}$/, 'must be 1-40 lowercase letters, digits, "-" or "_", starting with a letter');

const httpUrl = z.string({ error: 'must be a string' }).refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

// secrets are never echoed back: messages here must not quote the value
const secret = z.string({ error: 'must be a string (a YAML number, list or map is not a secret)' }).min(16, 'must be at least 16 characters');

const level = z.enum(ALERT_LEVELS, { error: `must be one of ${ALERT_LEVELS.join(', ')}` });

const WebhookDestination = z.strictObject({ name, type: z.literal('webhook'), url: httpUrl, secret });
const SlackDestination = z.strictObject({ name, type: z.literal('slack'), url: httpUrl });
const FileDestination = z.strictObject({
  name,
  type: z.literal('file'),
  path: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  maxBytes: z.number({ error: 'must be a number of bytes' }).int().min(1024).default(64 * 1024 * 1024),
  keepFiles: z.number({ error: 'must be a whole number' }).int().min(1).max(100).default(5),
});

const Destination = z.discriminatedUnion('type', [WebhookDestination, SlackDestination, FileDestination], {
  error: 'type must be one of webhook, slack, file',
});

const Route = z.strictObject({
  destination: name,
  minLevel: level.optional(),
  rules: z.array(z.string({ error: 'must be a rule id' }).min(1)).optional(),
  tags: z.array(z.string({ error: 'must be a tag' }).min(1)).optional(),
  accounts: z.array(z.string({ error: 'must be a 12-digit account id' }).regex(/^\d{12}$/, 'must be a 12-digit account id')).optional(),
});

const Throttle = z.strictObject({
  rule: z.string({ error: 'must be a rule id' }).min(1),
  groupBy: z.array(z.string({ error: 'must be a field name' }).min(1)).min(1, 'must name at least one field'),
  window: duration,
});

const Exception = z.strictObject({
  rule: z.string({ error: 'must be a rule id' }).min(1),
  /** Sigma `detection` section (identifiers and a condition) evaluated on the finding's record. */
  detection: z.record(z.string(), z.unknown(), { error: 'must be a Sigma detection map with a condition' }),
  expires: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time such as 2027-01-31T00:00:00Z' }).optional(),
  reason: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty'),
  author: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty'),
});

const Delivery = z.strictObject({
  maxRetry: duration.default(24 * 3_600_000),
  backoffBase: duration.default(1000),
  backoffMax: duration.default(15 * 60_000),
  timeout: duration.default(10_000),
  /** How often a sender looks for queued alerts its queue lost (a Redis without persistence) and queues them again. */
  reconcile: duration.default(30_000),
  /**
   * Alerts waiting in one destination's queue at most: the Redis memory a dead destination can hold. Alerts over it
   * are not queued but dead-lettered at once (listed by `alerts failed`, queued again by `--retry`).
   */
  maxQueued: z.number({ error: 'must be a whole number' }).int().min(1).default(100_000),
});

export const AlertsConfigSchema = z
  .strictObject({
    destinations: z.array(Destination).default([]),
    routes: z.array(Route).default([]),
    throttles: z.array(Throttle).default([]),
    exceptions: z.array(Exception).default([]),
    delivery: Delivery.default({ maxRetry: 24 * 3_600_000, backoffBase: 1000, backoffMax: 15 * 60_000, timeout: 10_000, reconcile: 30_000, maxQueued: 100_000 }),
    /**
     * Optional: findings whose last event is older than this when detected are recorded without alerting, whatever
     * brought them. Unset by default: what decides is where the events came from (poll alerts, a backfill only
     * with `--alert`).
     */
    maxEventAge: duration.optional(),
    /** Base URL of the HTTP API, for the link to each finding. */
    apiUrl: httpUrl.default('http://127.0.0.1:8080'),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.destinations.forEach((d, i) => {
      if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: ['destinations', i, 'name'], message: `destination "${d.name}" is declared twice` });
      seen.add(d.name);
    });
    c.routes.forEach((r, i) => {
      if (!seen.has(r.destination)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'destination'], message: `no destination is named "${r.destination}"` });
    });
    const throttled = new Set<string>();
    c.throttles.forEach((t, i) => {
      if (throttled.has(t.rule)) ctx.addIssue({ code: 'custom', path: ['throttles', i, 'rule'], message: `rule ${t.rule} is throttled twice` });
      throttled.add(t.rule);
    });
  });

export type AlertsConfig = z.output<typeof AlertsConfigSchema>;
export type DestinationConfig = AlertsConfig['destinations'][number];
export type RouteConfig = AlertsConfig['routes'][number];
export type ExceptionConfig = AlertsConfig['exceptions'][number];

function keyOf(path: ReadonlyArray<PropertyKey>, value: unknown): string {
  let node: unknown = value;
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') {
      const item = Array.isArray(node) ? node[p] : undefined;
      const label = item && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string' ? `[${p}](${(item as { name: string }).name})` : `[${p}]`;
      out += label;
      node = item;
    } else {
      out += out === '' ? String(p) : `.${String(p)}`;
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[String(p)] : undefined;
    }
  }
  return out || '(top level)';
}

/**
 * Parses an alerts file. Every problem is reported at once, each naming the file and the key
 * (`alerts.yml: destinations[0](pager).url: must be an http:// or https:// URL`), and never quoting a secret.
 */
export function parseAlertsConfig(text: string, file: string): AlertsConfig {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new TrailscopeError('CONFIG_INVALID', `${file}: YAML: ${doc.errors.map((e) => e.message).join('; ')}`, { context: { file } });
  }
  const value: unknown = doc.toJS() ?? {};
  const parsed = AlertsConfigSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const unknownKeys = i.code === 'unrecognized_keys' ? `: unknown key${i.keys.length === 1 ? '' : 's'} ${i.keys.join(', ')}` : `: ${i.message}`;
      return `${file}: ${keyOf(i.path, value)}${unknownKeys}`;
    });
    throw new TrailscopeError('CONFIG_INVALID', problems.join('\n'), { context: { file } });
  }
  return parsed.data;
}

/** The configuration as it may be shown (CLI, logs): secrets replaced. */
export function redactedConfig(c: AlertsConfig): unknown {
  return { ...c, destinations: c.destinations.map((d) => ('secret' in d ? { ...d, secret: '(set)' } : d)) };
}
