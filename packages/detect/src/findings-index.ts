import type { Config, OpenSearchClient } from '@trailscope/runtime';
import { errorFacts, toOpenSearchError } from '@trailscope/runtime';

const DAY_MS = 86_400_000;

/** Bumped when the mapping below changes; an existing index keeps its mapping, `setup` updates the template. */
export const FINDINGS_TEMPLATE_VERSION = 1;

const keyword = { type: 'keyword', ignore_above: 1024 } as const;
const date = { type: 'date', format: 'strict_date_optional_time||epoch_millis' } as const;

export function findingsMappings(): Record<string, unknown> {
  return {
    dynamic: false,
    _meta: { managed_by: 'trailscope', version: FINDINGS_TEMPLATE_VERSION },
    properties: {
      id: { type: 'keyword' },
      ruleId: keyword,
      ruleTitle: { type: 'text', fields: { keyword } },
      ruleLevel: keyword,
      ruleTags: keyword,
      ruleVersion: keyword,
      ruleKind: keyword,
      eventIds: keyword,
      eventCount: { type: 'integer' },
      eventTime: date,
      firstSeen: date,
      lastSeen: date,
      account: keyword,
      region: keyword,
      principal: keyword,
      sourceIp: keyword,
      groupKey: keyword,
      windowStart: date,
      status: keyword,
      statusBy: keyword,
      statusAt: date,
      statusReason: { type: 'text' },
      source: keyword,
      createdAt: date,
    },
  };
}

/**
 * The findings index is a single index (findings are few next to events) managed by its own template, so that an
 * index deleted by hand or by a test comes back with the right mapping when detection recreates it.
 */
export function findingsTemplateBody(config: Pick<Config, 'names' | 'namespace'>): Record<string, unknown> {
  return {
    index_patterns: [config.names.findingsIndex],
    priority: 100 + config.namespace.length,
    _meta: { managed_by: 'trailscope', version: FINDINGS_TEMPLATE_VERSION },
    template: {
      settings: { index: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' } },
      mappings: findingsMappings(),
    },
  };
}

function rulesIndexBody(): Record<string, unknown> {
  return {
    settings: { index: { number_of_shards: 1, number_of_replicas: 0 } },
    // rule texts are stored, never searched
    mappings: { dynamic: false, properties: { version: { type: 'keyword' }, appliedAt: { type: 'date' } } },
  };
}

async function createIndex(client: OpenSearchClient, index: string, body: Record<string, unknown>): Promise<boolean> {
  try {
    await client.transport.request({ method: 'PUT', path: `/${encodeURIComponent(index)}`, body });
    return true;
  } catch (err) {
    if (errorFacts(err).type === 'resource_already_exists_exception') return false;
    throw toOpenSearchError(err, `creating index ${index}`);
  }
}

export interface DetectionSetupReport {
  findingsTemplate: { name: string; version: number };
  findingsIndex: { name: string; created: boolean };
  rulesIndex: { name: string; created: boolean };
}

/** Installs the findings template and creates the findings and rule-set indices when missing; idempotent. */
export async function installDetectionIndices(client: OpenSearchClient, config: Pick<Config, 'names' | 'namespace'>): Promise<DetectionSetupReport> {
  const { names } = config;
  try {
    await client.transport.request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(names.findingsTemplate)}`, body: findingsTemplateBody(config) });
  } catch (err) {
    throw toOpenSearchError(err, `installing index template ${names.findingsTemplate}`);
  }
  const findingsCreated = await createIndex(client, names.findingsIndex, {});
  const rulesCreated = await createIndex(client, names.rulesIndex, rulesIndexBody());
  return {
    findingsTemplate: { name: names.findingsTemplate, version: FINDINGS_TEMPLATE_VERSION },
    findingsIndex: { name: names.findingsIndex, created: findingsCreated },
    rulesIndex: { name: names.rulesIndex, created: rulesCreated },
  };
}

/** The query selecting the findings past retention: those whose last event is older than retentionDays (pure). */
export function expiredFindingsQuery(retentionDays: number, now: Date): Record<string, unknown> {
  return { range: { lastSeen: { lt: new Date(now.getTime() - retentionDays * DAY_MS).toISOString() } } };
}

/**
 * Deletes the findings whose last event happened more than TRAILSCOPE_RETENTION_DAYS ago, so findings are kept as
 * long as the events they point to. The findings index is one index (findings are few), which ISM, aging whole
 * indices from their creation, cannot expire; so findings are deleted by document, by event time, with or without
 * the ISM plugin: `setup` runs this, and so does the leading detector once an hour. Returns the number deleted.
 */
export async function applyFindingsRetention(client: OpenSearchClient, config: Pick<Config, 'names' | 'index'>, now: Date = new Date()): Promise<number> {
  if (config.index.retentionDays <= 0) return 0;
  const index = config.names.findingsIndex;
  try {
    const res = await client.transport.request({
      method: 'POST',
      path: `/${encodeURIComponent(index)}/_delete_by_query`,
      querystring: { conflicts: 'proceed', refresh: true },
      body: { query: expiredFindingsQuery(config.index.retentionDays, now) },
    });
    return (res.body as { deleted?: number }).deleted ?? 0;
  } catch (err) {
    if (errorFacts(err).statusCode === 404) return 0;
    throw toOpenSearchError(err, `deleting findings past retention from ${index}`, { target: index });
  }
}
