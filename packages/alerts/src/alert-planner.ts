import { createHash } from 'node:crypto';
import type { Names } from '@trailscope/model';
import { toOpenSearchError, type Logger, type OpenSearchClient, type Redis } from '@trailscope/runtime';
import { addAlertJobs, alertsInJob, createAlertQueue, heldAlerts, type AlertJob, type AlertQueue } from '@trailscope/queue';
import { fieldValues } from '@trailscope/rules';
import { alertFromFinding, alertIdFor, throttledAlertId, type Alert, type AlertFinding } from './alert';
import { alertsIndex, installAlertsIndex, type LoadedAlerts } from './alerts-store';
import { recordQueued } from './delivery-outbox';
import { activeMutes, isMuted } from './mutes';
import { destinationsFor } from './routing';
import { countInWindow } from './throttle-window';

export interface PlannerDeps {
  opensearch: OpenSearchClient;
  redis: Redis;
  names: Pick<Names, 'namespace' | 'redisPrefix' | 'eventsAlias' | 'findingsIndex'>;
  logger?: Logger;
}

/** Recent alerts `alerts tail` reads (a capped Redis stream). */
export const tailStreamKey = (names: Pick<Names, 'redisPrefix'>) => `${names.redisPrefix}alerts:tail`;
const TAIL_MAXLEN = 10_000;

export interface AlertPlan {
  /** Findings an exception names: not written. */
  excepted: Set<string>;
  /** Alerts queued for findings not yet stored. */
  queued: number;
  /**
   * Adds the planned jobs to their queues (and the alerts to the tail stream). Their outbox record is already
   * written, so this may run beside the findings write: a crash between the two leaves jobs that the sender's
   * reconciliation queues from that record, under the same job ids.
   */
  enqueue(): Promise<void>;
}

const NOTHING_TO_QUEUE = async () => undefined;

async function recordsOf(client: OpenSearchClient, names: Pick<Names, 'eventsAlias'>, eventIds: string[]): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (let i = 0; i < eventIds.length; i += 1000) {
    const ids = eventIds.slice(i, i + 1000);
    try {
      const res = await client.search({ index: names.eventsAlias, body: { size: ids.length, _source: ['id', 'raw'], query: { ids: { values: ids } } } as never, ignore_unavailable: true, allow_no_indices: true });
      for (const h of (res.body as unknown as { hits: { hits: Array<{ _id: string; _source: { id?: string; raw?: string } }> } }).hits.hits) {
        if (typeof h._source.raw === 'string') out.set(h._source.id ?? h._id, JSON.parse(h._source.raw));
      }
    } catch (err) {
      throw toOpenSearchError(err, `reading records from ${names.eventsAlias}`);
    }
  }
  return out;
}

async function existingFindings(client: OpenSearchClient, names: Pick<Names, 'findingsIndex'>, ids: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    try {
      const res = await client.mget({ index: names.findingsIndex, body: { ids: ids.slice(i, i + 1000) } as never, _source: false } as never, { ignore: [404] });
      for (const d of (res.body as { docs?: Array<{ _id: string; found?: boolean }> }).docs ?? []) if (d.found) out.add(d._id);
    } catch (err) {
      throw toOpenSearchError(err, `reading ${names.findingsIndex}`);
    }
  }
  return out;
}

function groupKeyOf(fields: string[], record: unknown): string {
  return fields.map((f) => `${f}=${fieldValues(record, f.split('.')).map((v) => String(v)).join('|')}`).join(', ');
}

/** Alerts per delivery job: a pass's alerts for a destination go in jobs of up to this many, in order. */
const ALERTS_PER_JOB = 200;

/**
 * A destination's alerts of one pass as jobs: one job per alert costs the sender (and Redis) a job's whole life
 * for every delivery, which bounded alerting to a fraction of ingest; a job of several is delivered alert by alert
 * all the same. Ids come from the alerts they hold, so a replayed pass adds the same jobs, which BullMQ ignores.
 */
function batchJobs(destination: string, alerts: Alert[]): AlertJob[] {
  const jobs: AlertJob[] = [];
  for (let i = 0; i < alerts.length; i += ALERTS_PER_JOB) {
    const part = alerts.slice(i, i + ALERTS_PER_JOB);
    const [only] = part;
    if (part.length === 1 && only) jobs.push({ jobId: `${only.id}-${destination}`, data: { alert: only } });
    else jobs.push({ jobId: `b-${createHash('sha256').update(part.map((a) => a.id).join(',')).digest('hex').slice(0, 32)}-${destination}`, data: { alerts: part } });
  }
  return jobs;
}

/**
 * Between evaluation and the findings write of a live detection pass: drops the findings an exception names (and
 * records them, for `rules stats`), then plans the alerts of the findings not stored yet and records them in the
 * outbox. That record comes before the findings write, so a crash before the findings are written replays the pass
 * with the same alert and job ids (which BullMQ ignores), and a crash after it leaves the outbox to reconcile; the
 * jobs themselves are added by the plan's `enqueue`, beside the findings write.
 */
export class AlertPlanner {
  private readonly queues = new Map<string, AlertQueue>();

  constructor(
    private readonly deps: PlannerDeps,
    private readonly connection: object,
  ) {}

  private queue(destination: string): AlertQueue {
    let q = this.queues.get(destination);
    if (!q) {
      q = createAlertQueue({ names: this.deps.names as Names }, destination, this.connection as never);
      this.queues.set(destination, q);
    }
    return q;
  }

  /**
   * `alert: false` (findings of a backfill without `--alert`): exceptions apply, nothing is queued. Backfills and
   * backtests of past data page nobody unless asked; live findings (and `--alert`) do.
   */
  async plan(alerts: LoadedAlerts, findings: AlertFinding[], now: Date, options: { alert?: boolean } = {}): Promise<AlertPlan> {
    const { opensearch, redis, names } = this.deps;
    const nowMs = now.getTime();
    const { config, exceptions } = alerts;
    const throttles = new Map(config.throttles.map((t) => [t.rule, t]));
    const needRecord = findings.filter((f) => exceptions.hasAny(f.ruleId, nowMs) || throttles.has(f.ruleId));
    const records = needRecord.length > 0 ? await recordsOf(opensearch, names, [...new Set(needRecord.flatMap((f) => f.eventIds.slice(0, 1)))]) : new Map<string, unknown>();

    const excepted = new Set<string>();
    const hits: string[] = [];
    for (const f of findings) {
      if (!exceptions.hasAny(f.ruleId, nowMs)) continue;
      const record = records.get(f.eventIds[0] ?? '');
      const e = record === undefined ? undefined : exceptions.match(f.ruleId, record, nowMs);
      if (!e) continue;
      excepted.add(f.id);
      hits.push(JSON.stringify({ index: { _index: alertsIndex(names), _id: `x-${f.id}` } }), JSON.stringify({ kind: 'excepted', ruleId: f.ruleId, exceptionIndex: e.index, key: f.id, at: now.toISOString() }));
    }
    if (hits.length > 0) {
      await installAlertsIndex(opensearch, names);
      try {
        await opensearch.bulk({ body: `${hits.join('\n')}\n` as never });
      } catch (err) {
        throw toOpenSearchError(err, `recording excepted matches in ${alertsIndex(names)}`);
      }
    }

    const candidates = findings.filter((f) => !excepted.has(f.id));
    if (options.alert === false || candidates.length === 0 || config.routes.length === 0) return { excepted, queued: 0, enqueue: NOTHING_TO_QUEUE };
    const stored = await existingFindings(opensearch, names, candidates.map((f) => f.id));
    const mutes = await activeMutes(opensearch, names, nowMs);
    // per destination: its alerts in finding order (batched below) and the summaries due at windows' ends
    const immediate = new Map<string, Alert[]>();
    const later = new Map<string, AlertJob[]>();
    const tail: Alert[] = [];
    const add = <T>(map: Map<string, T[]>, dest: string, item: T) => {
      const list = map.get(dest);
      if (list) list.push(item);
      else map.set(dest, [item]);
    };
    const maxAge = config.maxEventAge;
    const fresh = (f: AlertFinding) => maxAge === undefined || nowMs - Date.parse(f.lastSeen ?? f.eventTime) <= maxAge;
    const sorted = candidates.filter((f) => !stored.has(f.id) && fresh(f)).sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));
    for (const f of sorted) {
      const dests = destinationsFor(f, config);
      const t = throttles.get(f.ruleId);
      const groupKey = t ? groupKeyOf(t.groupBy, records.get(f.eventIds[0] ?? '')) : undefined;
      if (isMuted(mutes, f.ruleId, [groupKey, f.principal, f.groupKey])) continue;
      if (!t || groupKey === undefined) {
        const alert = alertFromFinding(f, alertIdFor(f.id), config.apiUrl);
        for (const d of dests) add(immediate, d, alert);
        tail.push(alert);
        continue;
      }
      // the window starts at the group's first match and lasts `window`; its state outlives it until the summary
      // can no longer be retried, so a replayed pass finds the window its findings were counted in
      const w = await countInWindow(redis, names, { ruleId: f.ruleId, groupKey, windowMs: t.window, keepMs: t.window + config.delivery.maxRetry + 86_400_000 }, f.id, nowMs);
      if (!w.first) continue;
      // queued again on a replay: same job ids, which BullMQ ignores when it already holds them
      const alert = alertFromFinding(f, throttledAlertId(f.ruleId, groupKey, w.startMs), config.apiUrl, { groupKey, windowStartMs: w.startMs });
      for (const d of dests) {
        add(immediate, d, alert);
        add(later, d, { jobId: `${alert.id}-summary-${d}`, data: { summary: { alert, membersKey: w.membersKey } }, delayMs: w.endMs - nowMs });
      }
      tail.push(alert);
    }
    let queued = 0;
    const entries = (destination: string, list: AlertJob[]) => list.map((job) => ({ destination, job, dueMs: nowMs + (job.delayMs ?? 0) }));
    const fits: Array<[string, AlertJob[]]> = [];
    for (const dest of new Set([...immediate.keys(), ...later.keys()])) {
      const list = [...batchJobs(dest, immediate.get(dest) ?? []), ...(later.get(dest) ?? [])];
      const count = list.reduce((n, j) => n + alertsInJob(j.data), 0);
      const held = await heldAlerts(this.queue(dest));
      if (held + count <= config.delivery.maxQueued) {
        fits.push([dest, list]);
        queued += count;
        continue;
      }
      // a destination that stopped taking alerts must not fill Redis: these are dead-lettered at once
      await recordQueued(opensearch, names, entries(dest, list), now, 'overflow');
      this.deps.logger?.error({ destination: dest, alerts: count, held, maxQueued: config.delivery.maxQueued }, 'alert queue full; alerts dead-lettered (alerts failed lists them, --retry queues them)');
    }
    // the OpenSearch record first: a Redis that loses the jobs afterwards loses nothing
    await recordQueued(opensearch, names, fits.flatMap(([destination, list]) => entries(destination, list)), now);
    const enqueue = async () => {
      // the destinations' queues are independent: added side by side
      await Promise.all(fits.map(([dest, list]) => addAlertJobs(this.queue(dest), list)));
      if (tail.length === 0) return;
      const batch = redis.pipeline();
      for (const a of tail) batch.xadd(tailStreamKey(names), 'MAXLEN', '~', String(TAIL_MAXLEN), '*', 'alert', JSON.stringify(a));
      for (const [err] of (await batch.exec()) ?? []) if (err) throw err;
    };
    return { excepted, queued, enqueue };
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

/** Excepted matches per rule (what `rules stats` reports). */
export async function exceptedCounts(client: OpenSearchClient, names: Pick<Names, 'namespace'>): Promise<Map<string, number>> {
  try {
    const res = await client.search(
      { index: alertsIndex(names), body: { size: 0, query: { term: { kind: 'excepted' } }, aggs: { rules: { terms: { field: 'ruleId', size: 10_000 } } } } as never },
      { ignore: [404] },
    );
    const buckets = (res.body as { aggregations?: { rules: { buckets: Array<{ key: string; doc_count: number }> } } }).aggregations?.rules.buckets ?? [];
    return new Map(buckets.map((b) => [b.key, b.doc_count]));
  } catch (err) {
    throw toOpenSearchError(err, `counting excepted matches in ${alertsIndex(names)}`);
  }
}
