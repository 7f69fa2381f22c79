import { TrailscopeError } from './trailscope-error';

/** Index periods: how much eventTime one index covers. */
export type IndexPeriod = 'day' | 'month';

const NAMESPACE_RE = /^[a-z][a-z0-9_-]{0,39}$/;

export function assertNamespace(namespace: string): string {
  if (!NAMESPACE_RE.test(namespace)) {
    throw new TrailscopeError(
      'CONFIG_INVALID',
      `TRAILSCOPE_NAMESPACE "${namespace}" is invalid: use 1-40 lowercase letters, digits, "-" or "_", starting with a letter`,
      { context: { namespace } },
    );
  }
  return namespace;
}

export interface NamesOptions {
  /**
   * On a Redis Cluster every key one script or transaction touches must hash to one slot: queue names and the state
   * prefix are then wrapped in a hash tag (`{...}`), so each queue's keys, and the namespace's own keys, share a slot.
   * Off for a single Redis, where the names stay those earlier releases wrote.
   */
  redisHashTags?: boolean;
}

/**
 * Every OpenSearch and Redis name a deployment uses, derived from its namespace so that deployments sharing one
 * cluster and one Redis never see each other.
 */
export function namesFor(namespace: string, options: NamesOptions = {}) {
  assertNamespace(namespace);
  const redisHashTags = options.redisHashTags ?? false;
  return {
    namespace,
    redisHashTags,
    /** Concrete event indices: `<ns>-events-YYYY.MM.DD` (or `-YYYY.MM` for monthly). */
    eventIndexPrefix: `${namespace}-events-`,
    eventIndexPattern: `${namespace}-events-*`,
    /** Read alias over every event index. */
    eventsAlias: `${namespace}-events`,
    eventTemplate: `${namespace}-events-template`,
    deadLetterIndex: `${namespace}-deadletter`,
    /**
     * One document per event id stored anywhere in the namespace (which event index holds it, a hash of its raw
     * text): the claim that keeps ids unique across indices whatever their period. Outside eventIndexPattern.
     */
    eventIdsIndex: `${namespace}-eventids`,
    /** Copies of stored event ids that arrived with different content, kept for the operator. */
    conflictsIndex: `${namespace}-conflicts`,
    /** The file ledger: one entry per log file (bucket, key, etag) ingested, with its hash and record counts. */
    filesIndex: `${namespace}-files`,
    keysIndex: `${namespace}-apikeys`,
    /** Findings of detection rules (one index, template-managed); `findingsTemplate` applies to it. */
    findingsIndex: `${namespace}-findings`,
    findingsTemplate: `${namespace}-findings-template`,
    /** The applied detection rule set and its version. */
    rulesIndex: `${namespace}-rules`,
    retentionPolicy: `${namespace}-retention`,
    /** BullMQ queue of log files to ingest. */
    ingestQueue: queueNameFor({ namespace, redisHashTags }, 'ingest'),
    /** Redis key prefix for checkpoints and other state (BullMQ keys use their own `bull:` prefix). */
    redisPrefix: redisHashTags ? `{${namespace}}:` : `${namespace}:`,
  };
}

/** A BullMQ queue name of the namespace: `<ns>-<suffix>`, in a hash tag on a Redis Cluster. */
export function queueNameFor(names: { namespace: string; redisHashTags: boolean }, suffix: string): string {
  const name = `${names.namespace}-${suffix}`;
  return names.redisHashTags ? `{${name}}` : name;
}

export type Names = ReturnType<typeof namesFor>;

/** The index an event belongs to, from its eventTime (UTC). */
export function indexNameFor(eventTime: string | Date, namespace: string, period: IndexPeriod = 'day'): string {
  const d = typeof eventTime === 'string' ? new Date(eventTime) : eventTime;
  if (Number.isNaN(d.getTime())) {
    throw new TrailscopeError('RECORD_INVALID', `eventTime "${String(eventTime)}" is not a valid date`);
  }
  const y = d.getUTCFullYear().toString().padStart(4, '0');
  const m = (d.getUTCMonth() + 1).toString().padStart(2, '0');
  const day = d.getUTCDate().toString().padStart(2, '0');
  const suffix = period === 'month' ? `${y}.${m}` : `${y}.${m}.${day}`;
  return `${namesFor(namespace).eventIndexPrefix}${suffix}`;
}

/** The start of the period an index name covers, or undefined when the name is not one of ours. */
export function indexPeriodStart(indexName: string, namespace: string): Date | undefined {
  const prefix = namesFor(namespace).eventIndexPrefix;
  if (!indexName.startsWith(prefix)) return undefined;
  const m = /^(\d{4})\.(\d{2})(?:\.(\d{2}))?$/.exec(indexName.slice(prefix.length));
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, m[3] ? Number(m[3]) : 1));
}
