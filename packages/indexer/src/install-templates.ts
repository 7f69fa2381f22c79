import { TrailscopeError } from '@trailscope/model';
import type { Config, OpenSearchClient } from '@trailscope/runtime';
import { claimStoredEvents, storedEventsClaimed, type StoredEventClaims } from './claim-stored-events';
import { conflictsIndexBody } from './conflicts-index';
import { filesIndexBody } from './file-ledger';
import { deadLetterIndexBody } from './dead-letter-index';
import { eventIdIndexBody } from './event-id-index';
import { EVENT_TEMPLATE_VERSION, eventTemplateBody } from './event-template';
import { errorFacts, toOpenSearchError } from '@trailscope/runtime';
import { hasIsmPlugin, installRetentionPolicy, type RetentionPolicyResult } from './retention';

export interface SetupReport {
  namespace: string;
  eventTemplate: { name: string; version: number; indexPattern: string; alias: string };
  deadLetterIndex: { name: string; created: boolean };
  /** The claims keeping event ids unique across event indices. */
  eventIdIndex: { name: string; created: boolean; storedEvents: StoredEventClaims };
  conflictsIndex: { name: string; created: boolean };
  /** The file ledger (what each ingested log file contributed). */
  filesIndex: { name: string; created: boolean };
  retention: {
    retentionDays: number;
    /** `ism` when the cluster has the ISM plugin, else `sweep` (applyRetention deletes by eventTime period). */
    mode: 'ism' | 'sweep' | 'disabled';
    ismPolicy?: { name: string; result: RetentionPolicyResult };
  };
}

/**
 * Installs everything the event indices need, idempotently: the composable index template (mapping, settings, read
 * alias), the dead-letter, event-id and conflicts indices, the file ledger, and the ISM retention policy where the plugin exists. It
 * deletes nothing: expired indices are `applyRetention`'s (setup and the worker's sweeper call it), so installing at
 * a worker's start never removes data as a side effect.
 */
export async function installTemplates(client: OpenSearchClient, config: Config): Promise<SetupReport> {
  const { names } = config;
  try {
    await client.transport.request({
      method: 'PUT',
      path: `/_index_template/${encodeURIComponent(names.eventTemplate)}`,
      body: eventTemplateBody(config),
    });
  } catch (err) {
    throw toOpenSearchError(err, `installing index template ${names.eventTemplate}`);
  }

  const created = await createIndexOnce(client, names.deadLetterIndex, deadLetterIndexBody(config), 'dead-letter index');
  const eventIdsCreated = await createIndexOnce(client, names.eventIdsIndex, eventIdIndexBody(config), 'event-id index');
  const conflictsCreated = await createIndexOnce(client, names.conflictsIndex, conflictsIndexBody(config), 'conflicts index');
  const filesCreated = await createIndexOnce(client, names.filesIndex, filesIndexBody(config), 'file ledger');
  const storedEvents = await claimStoredEvents(client, config);

  const ism = await hasIsmPlugin(client);
  const retention: SetupReport['retention'] = {
    retentionDays: config.index.retentionDays,
    mode: config.index.retentionDays <= 0 ? 'disabled' : ism ? 'ism' : 'sweep',
  };
  if (ism) retention.ismPolicy = { name: names.retentionPolicy, result: await installRetentionPolicy(client, config) };

  return {
    namespace: config.namespace,
    eventTemplate: { name: names.eventTemplate, version: EVENT_TEMPLATE_VERSION, indexPattern: names.eventIndexPattern, alias: names.eventsAlias },
    deadLetterIndex: { name: names.deadLetterIndex, created },
    eventIdIndex: { name: names.eventIdsIndex, created: eventIdsCreated, storedEvents },
    conflictsIndex: { name: names.conflictsIndex, created: conflictsCreated },
    filesIndex: { name: names.filesIndex, created: filesCreated },
    retention,
  };
}

/** Creates an index unless it exists; true when this call created it. */
async function createIndexOnce(client: OpenSearchClient, index: string, body: Record<string, unknown>, what: string): Promise<boolean> {
  try {
    await client.transport.request({ method: 'PUT', path: `/${encodeURIComponent(index)}`, body });
    return true;
  } catch (err) {
    if (errorFacts(err).type !== 'resource_already_exists_exception') throw toOpenSearchError(err, `creating ${what} ${index}`);
    return false;
  }
}

/**
 * Throws TEMPLATE_MISSING unless the current event template, the dead-letter, event-id and conflicts indices and the
 * file ledger are installed (workers call this before their first job), OPENSEARCH_UNAVAILABLE (retryable) when the
 * cluster does not answer.
 */
export async function checkTemplates(client: OpenSearchClient, config: Config): Promise<void> {
  const { names } = config;
  let version: unknown;
  try {
    const res = await client.transport.request({ method: 'GET', path: `/_index_template/${encodeURIComponent(names.eventTemplate)}` });
    const templates = (res.body as { index_templates?: Array<{ index_template?: { _meta?: { version?: unknown } } }> }).index_templates;
    version = templates?.[0]?.index_template?._meta?.version;
  } catch (err) {
    if (errorFacts(err).statusCode !== 404) throw toOpenSearchError(err, `reading index template ${names.eventTemplate}`);
    throw new TrailscopeError('TEMPLATE_MISSING', `index template ${names.eventTemplate} is not installed: run \`trailscope setup\``, {
      context: { template: names.eventTemplate },
    });
  }
  if (typeof version !== 'number' || version < EVENT_TEMPLATE_VERSION) {
    throw new TrailscopeError(
      'TEMPLATE_MISSING',
      `index template ${names.eventTemplate} is version ${String(version)}, this trailscope needs ${EVENT_TEMPLATE_VERSION}: run \`trailscope setup\``,
      { context: { template: names.eventTemplate } },
    );
  }
  for (const [index, what] of [
    [names.deadLetterIndex, 'dead-letter index'],
    [names.conflictsIndex, 'conflicts index'],
    [names.filesIndex, 'file ledger'],
  ] as const) {
    try {
      await client.transport.request({ method: 'HEAD', path: `/${encodeURIComponent(index)}` });
    } catch (err) {
      if (errorFacts(err).statusCode !== 404) throw toOpenSearchError(err, `checking ${what} ${index}`);
      throw new TrailscopeError('TEMPLATE_MISSING', `${what} ${index} does not exist: run \`trailscope setup\``, { context: { index } });
    }
  }
  let claimed: boolean;
  try {
    claimed = await storedEventsClaimed(client, names.eventIdsIndex);
  } catch (err) {
    if (errorFacts(err).statusCode !== 404) throw toOpenSearchError(err, `checking event-id index ${names.eventIdsIndex}`);
    throw new TrailscopeError('TEMPLATE_MISSING', `event-id index ${names.eventIdsIndex} does not exist: run \`trailscope setup\``, {
      context: { index: names.eventIdsIndex },
    });
  }
  if (!claimed) {
    throw new TrailscopeError(
      'TEMPLATE_MISSING',
      `event-id index ${names.eventIdsIndex} does not hold the ids of the events already stored yet: run \`trailscope setup\` to finish`,
      { context: { index: names.eventIdsIndex } },
    );
  }
}
