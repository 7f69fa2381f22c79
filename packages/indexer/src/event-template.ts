import { FIELDS } from '@trailscope/model';
import type { Config } from '@trailscope/runtime';

/**
 * Bumped whenever the mapping or settings below change, so that workers refuse to write with a stale template
 * (checkTemplates) until `trailscope setup` has installed the new one. Existing indices keep the mapping they were
 * created with; the change applies from the next period's index.
 */
export const EVENT_TEMPLATE_VERSION = 3;

/** Longest keyword value indexed; longer values stay in _source but are not searchable as a term. */
export const KEYWORD_IGNORE_ABOVE = 1024;

const keyword = { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE } as const;
/**
 * A keyword that is filtered on but never aggregated or sorted: no doc values. Doc values are a second, columnar
 * copy of every value; only the fields of the query package's AGGREGATABLE_FIELDS, the Dashboards visualizations and
 * the sort need them.
 */
const searchOnly = { ...keyword, doc_values: false } as const;
const bool = { type: 'boolean' } as const;
const flat = { type: 'flat_object' } as const;

/**
 * The explicit mapping of EventDoc. `dynamic: false` everywhere: a field the parser adds before the template knows
 * it stays in _source and unindexed instead of rejecting documents (strict) or growing the mapping (true).
 * Free-form CloudTrail objects are flat_object: every leaf becomes a keyword under its dotted path, so the same key
 * can hold a string in one event and an object, array or number in another without a mapping conflict, and their
 * keys never add mapping fields. `raw` is a keyword that is neither indexed nor given doc values: kept in _source
 * only, whatever its length (an object with enabled:false would also do, but `raw` is a string).
 */
export function eventMappings(): Record<string, unknown> {
  return {
    dynamic: false,
    _meta: { managed_by: 'trailscope', version: EVENT_TEMPLATE_VERSION },
    properties: {
      // Sort tie-breaker only (doc values). Lookups by id use the `ids` query on _id, which holds the same value, so
      // a second terms dictionary of a unique value per event is not kept; a term query on `id` still works (it reads
      // the doc values).
      id: { type: 'keyword', index: false },
      eventTime: { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
      eventVersion: searchOnly,
      eventID: keyword,
      eventSource: keyword,
      eventName: keyword,
      eventType: keyword,
      eventCategory: keyword,
      account: keyword,
      region: keyword,
      orgId: keyword,
      readOnly: bool,
      managementEvent: bool,
      errorCode: keyword,
      // Free text for search, plus the exact value for filters. No norms: hits are sorted by time, never scored.
      errorMessage: { type: 'text', norms: false, fields: { keyword: searchOnly } },
      userIdentity: {
        dynamic: false,
        properties: {
          type: keyword,
          principalId: keyword,
          arn: keyword,
          accountId: searchOnly,
          accessKeyId: keyword,
          userName: keyword,
          invokedBy: searchOnly,
          mfaAuthenticated: bool,
          sessionIssuer: {
            dynamic: false,
            properties: { type: searchOnly, principalId: searchOnly, arn: keyword, accountId: searchOnly, userName: keyword },
          },
        },
      },
      sourceIPAddress: keyword,
      sourceIp: { type: 'ip' },
      // Filtered by exact value and wildcard (the keyword), also searchable word by word (the text sub-field).
      userAgent: { type: 'keyword', ignore_above: 4096, fields: { text: { type: 'text', norms: false } } },
      requestID: keyword,
      sharedEventID: searchOnly,
      vpcEndpointId: keyword,
      recipientAccountId: keyword,
      tlsDetails: {
        dynamic: false,
        properties: { tlsVersion: searchOnly, cipherSuite: searchOnly, clientProvidedHostHeader: searchOnly },
      },
      resources: { dynamic: false, properties: { ARN: keyword, type: keyword, accountId: searchOnly } },
      requestParameters: flat,
      responseElements: flat,
      additionalEventData: flat,
      serviceEventDetails: flat,
      insightDetails: flat,
      raw: { type: 'keyword', index: false, doc_values: false },
      ingest: {
        dynamic: false,
        properties: { bucket: searchOnly, key: searchOnly, etag: searchOnly, kind: searchOnly, ingestedAt: { type: 'date' } },
      },
    },
  };
}

/** The refresh interval of event indices: seconds of search latency traded for much cheaper bulk indexing. */
export const EVENT_REFRESH_INTERVAL = '5s';

/**
 * Segments are kept sorted newest first, in the order of the default search sort (eventTime desc, then id desc;
 * see packages/query sortFor). A newest-first page then stops reading a segment once it has its hits, and a page
 * after a cursor (search_after without a total) jumps straight to the cursor's position instead of ranking every
 * match again: deep pages cost about what the first one does. Oldest-first searches still work, ranked as before.
 */
export const EVENT_INDEX_SORT = { field: [FIELDS.eventTime, FIELDS.id], order: ['desc', 'desc'] } as const;

/**
 * The composable index template of the event indices. Its priority grows with the namespace length so that a
 * namespace whose name extends another's pattern (`a` and `a-events-x`) still wins for its own indices instead of
 * colliding at equal priority, which OpenSearch refuses.
 */
export function eventTemplateBody(config: Pick<Config, 'names' | 'index' | 'namespace'>): Record<string, unknown> {
  return {
    index_patterns: [config.names.eventIndexPattern],
    priority: 100 + config.namespace.length,
    _meta: { managed_by: 'trailscope', version: EVENT_TEMPLATE_VERSION },
    template: {
      settings: {
        index: {
          number_of_shards: config.index.shards,
          number_of_replicas: config.index.replicas,
          refresh_interval: EVENT_REFRESH_INTERVAL,
          codec: 'best_compression',
          sort: { field: [...EVENT_INDEX_SORT.field], order: [...EVENT_INDEX_SORT.order] },
        },
      },
      mappings: eventMappings(),
      aliases: { [config.names.eventsAlias]: {} },
    },
  };
}
