import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { TrailscopeError, type Names } from '@trailscope/model';
import { toOpenSearchError, type OpenSearchClient } from '@trailscope/runtime';
import { parseAlertsConfig, type AlertsConfig } from './alerts-config';
import { compileException, ExceptionSet } from './exceptions';

/** Alerting state kept in OpenSearch (survives a Redis without persistence): the applied file, mutes, excepted matches. */
export function alertsIndex(names: Pick<Names, 'namespace'>): string {
  return `${names.namespace}-alerts`;
}

const CONFIG_ID = 'config';

export async function installAlertsIndex(client: OpenSearchClient, names: Pick<Names, 'namespace'>): Promise<void> {
  const index = alertsIndex(names);
  try {
    const exists = await client.indices.exists({ index });
    if (exists.body) return;
    await client.indices.create(
      {
        index,
        body: {
          settings: { index: { number_of_shards: 1, number_of_replicas: 0 } },
          mappings: {
            dynamic: false,
            properties: {
              kind: { type: 'keyword' },
              ruleId: { type: 'keyword' },
              key: { type: 'keyword' },
              untilMs: { type: 'long' },
              exceptionIndex: { type: 'integer' },
              status: { type: 'keyword' },
              destination: { type: 'keyword' },
              dueMs: { type: 'long' },
              at: { type: 'date' },
            },
          },
        } as never,
      },
      { ignore: [400] },
    );
  } catch (err) {
    throw toOpenSearchError(err, `creating ${index}`);
  }
}

export interface LoadedAlerts {
  config: AlertsConfig;
  exceptions: ExceptionSet;
  /** Where it came from: the file path, or "stored". */
  source: string;
  version: string;
}

export function compileAlerts(text: string, file: string, source: string): LoadedAlerts {
  const config = parseAlertsConfig(text, file);
  const exceptions = new ExceptionSet(config.exceptions.map((e, i) => compileException(e, i, file)));
  return { config, exceptions, source, version: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}

/** Validates and stores an alerts file; the detector and the senders read it within their refresh time. */
export async function storeAlerts(client: OpenSearchClient, names: Pick<Names, 'namespace'>, text: string, file: string): Promise<LoadedAlerts> {
  const loaded = compileAlerts(text, file, 'stored');
  await installAlertsIndex(client, names);
  try {
    await client.index({ index: alertsIndex(names), id: CONFIG_ID, body: { kind: 'config', text, file, at: new Date().toISOString() } as never, refresh: 'wait_for' });
  } catch (err) {
    throw toOpenSearchError(err, `storing the alerts configuration in ${alertsIndex(names)}`);
  }
  return loaded;
}

/**
 * The alerts configuration in force: the file named by TRAILSCOPE_ALERTS_FILE when set (`envFile`), else the one
 * stored by `alerts apply`; undefined when neither exists (alerting off).
 */
export async function loadAlerts(client: OpenSearchClient, names: Pick<Names, 'namespace'>, envFile?: string): Promise<LoadedAlerts | undefined> {
  if (envFile) {
    let text: string;
    try {
      text = await readFile(envFile, 'utf8');
    } catch (err) {
      throw new TrailscopeError('CONFIG_INVALID', `TRAILSCOPE_ALERTS_FILE ${envFile}: cannot be read: ${(err as Error).message}`, { cause: err, context: { file: envFile } });
    }
    return compileAlerts(text, envFile, envFile);
  }
  try {
    const res = await client.get({ index: alertsIndex(names), id: CONFIG_ID }, { ignore: [404] });
    const body = res.body as { found?: boolean; _source?: { text?: string; file?: string } };
    if (!body.found || typeof body._source?.text !== 'string') return undefined;
    return compileAlerts(body._source.text, body._source.file ?? 'stored alerts file', 'stored');
  } catch (err) {
    if ((err as { code?: string }).code === 'CONFIG_INVALID') throw err;
    throw toOpenSearchError(err, `reading the alerts configuration from ${alertsIndex(names)}`);
  }
}

/** Only the configuration code reads the environment; this is the alerts file setting. */
export function alertsFileFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env.TRAILSCOPE_ALERTS_FILE;
  return v === undefined || v === '' ? undefined : v;
}
