import type { Config, OpenSearchClient } from '@trailscope/runtime';
import { errorFacts, toOpenSearchError } from '@trailscope/runtime';

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
