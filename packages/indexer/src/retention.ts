import { indexPeriodStart } from '@trailscope/model';
import type { Config, OpenSearchClient } from '@trailscope/runtime';
import { errorFacts, toOpenSearchError } from '@trailscope/runtime';

const DAY_MS = 86_400_000;

/** The ISM policy deleting event indices once they are `retentionDays` old (ISM measures age from creation). */
export function retentionPolicyBody(config: Pick<Config, 'names' | 'index' | 'namespace'>): Record<string, unknown> {
  return {
    policy: {
      description: `trailscope: delete ${config.names.eventIndexPattern} indices after ${config.index.retentionDays} days`,
      default_state: 'hot',
      states: [
        { name: 'hot', actions: [], transitions: [{ state_name: 'delete', conditions: { min_index_age: `${config.index.retentionDays}d` } }] },
        { name: 'delete', actions: [{ delete: {} }], transitions: [] },
      ],
      ism_template: [{ index_patterns: [config.names.eventIndexPattern], priority: 100 + config.namespace.length }],
    },
  };
}

/** True when the cluster runs the Index State Management plugin. */
export async function hasIsmPlugin(client: OpenSearchClient): Promise<boolean> {
  try {
    const res = await client.transport.request({ method: 'GET', path: '/_cat/plugins', querystring: { format: 'json', h: 'component' } });
    const rows = res.body as Array<{ component?: string }>;
    return Array.isArray(rows) && rows.some((r) => r.component === 'opensearch-index-management');
  } catch (err) {
    throw toOpenSearchError(err, 'listing plugins');
  }
}

export type RetentionPolicyResult = 'installed' | 'updated' | 'removed' | 'absent';

/**
 * Installs (or updates, or with retentionDays 0 removes) the ISM retention policy, and attaches it to existing event
 * indices, which ism_template alone does not cover.
 */
export async function installRetentionPolicy(client: OpenSearchClient, config: Config): Promise<RetentionPolicyResult> {
  const path = `/_plugins/_ism/policies/${encodeURIComponent(config.names.retentionPolicy)}`;
  let existing: { seqNo: number; primaryTerm: number } | undefined;
  try {
    const res = await client.transport.request({ method: 'GET', path });
    const body = res.body as { _seq_no: number; _primary_term: number };
    existing = { seqNo: body._seq_no, primaryTerm: body._primary_term };
  } catch (err) {
    if (errorFacts(err).statusCode !== 404) throw toOpenSearchError(err, `reading ISM policy ${config.names.retentionPolicy}`);
  }
  try {
    if (config.index.retentionDays <= 0) {
      if (!existing) return 'absent';
      await client.transport.request({ method: 'DELETE', path });
      return 'removed';
    }
    const querystring = existing ? { if_seq_no: existing.seqNo, if_primary_term: existing.primaryTerm } : {};
    await client.transport.request({ method: 'PUT', path, querystring, body: retentionPolicyBody(config) });
    await client.transport.request({
      method: 'POST',
      path: `/_plugins/_ism/add/${encodeURIComponent(config.names.eventIndexPattern)}`,
      body: { policy_id: config.names.retentionPolicy },
    });
    return existing ? 'updated' : 'installed';
  } catch (err) {
    throw toOpenSearchError(err, `installing ISM policy ${config.names.retentionPolicy}`);
  }
}

/** The instant the period covered by an index ends (exclusive), from its name; undefined when not one of ours. */
export function indexPeriodEnd(indexName: string, namespace: string): Date | undefined {
  const start = indexPeriodStart(indexName, namespace);
  if (!start) return undefined;
  // The name's own shape decides, whatever the period in force: after a change of TRAILSCOPE_INDEX_PERIOD a daily
  // name still covers one day and a monthly name its whole month.
  const daily = /\.\d{2}\.\d{2}$/.test(indexName);
  if (daily) return new Date(start.getTime() + DAY_MS);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/** Event indices whose whole period ended more than retentionDays before `now` (pure). */
export function expiredIndices(indexNames: readonly string[], config: Pick<Config, 'namespace' | 'index'>, now: Date): string[] {
  if (config.index.retentionDays <= 0) return [];
  const cutoff = now.getTime() - config.index.retentionDays * DAY_MS;
  return indexNames
    .filter((name) => {
      const end = indexPeriodEnd(name, config.namespace);
      return end !== undefined && end.getTime() <= cutoff;
    })
    .sort();
}

/**
 * Deletes the event indices whose period ended more than retentionDays ago, by eventTime period rather than index
 * creation age (so a backfill of old events is aged by when they happened). Works without ISM; `setup` runs it and
 * workers may call it periodically. Returns the deleted index names.
 */
export async function applyRetention(client: OpenSearchClient, config: Config, now: Date = new Date()): Promise<string[]> {
  if (config.index.retentionDays <= 0) return [];
  let names: string[];
  try {
    const res = await client.transport.request({
      method: 'GET',
      path: `/_cat/indices/${encodeURIComponent(config.names.eventIndexPattern)}`,
      querystring: { format: 'json', h: 'index', expand_wildcards: 'open,closed' },
    });
    names = (res.body as Array<{ index: string }>).map((r) => r.index);
  } catch (err) {
    if (errorFacts(err).statusCode === 404) return [];
    throw toOpenSearchError(err, `listing ${config.names.eventIndexPattern}`);
  }
  const expired = expiredIndices(names, config, now);
  // A bounded number per request keeps the URL short.
  for (let i = 0; i < expired.length; i += 50) {
    const batch = expired.slice(i, i + 50);
    try {
      await client.transport.request({ method: 'DELETE', path: `/${batch.map(encodeURIComponent).join(',')}`, querystring: { ignore_unavailable: true } });
    } catch (err) {
      throw toOpenSearchError(err, `deleting expired indices ${batch.join(',')}`);
    }
    await releaseEventIds(client, config, batch);
  }
  return expired;
}

/**
 * Removes the event-id claims of deleted indices, so that an event of an expired period delivered again is stored
 * again rather than counted as a duplicate of nothing. Runs as a background task: an index of a busy day holds
 * millions of ids, more than a request should wait for.
 */
async function releaseEventIds(client: OpenSearchClient, config: Config, deleted: string[]): Promise<void> {
  try {
    await client.transport.request({
      method: 'POST',
      path: `/${encodeURIComponent(config.names.eventIdsIndex)}/_delete_by_query`,
      querystring: { conflicts: 'proceed', wait_for_completion: false, refresh: true },
      body: { query: { terms: { index: deleted } } },
    });
  } catch (err) {
    if (errorFacts(err).statusCode === 404) return;
    throw toOpenSearchError(err, `releasing the event ids of ${deleted.join(',')}`);
  }
}
