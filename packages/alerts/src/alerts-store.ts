import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { TrailscopeError, type Names } from '@trailscope/model';
import { SealedSecretSchema, deriveSecretKey, openSecret, requireServerKey, sealSecret, toOpenSearchError, type OpenSearchClient } from '@trailscope/runtime';
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

/**
 * The stored file is sealed whole (AES-256-GCM under a key derived from TRAILSCOPE_SERVER_KEY with HKDF): webhook
 * secrets and Slack URLs (the URL is Slack's credential) are never at rest in plaintext, and anything else the
 * operator wrote beside them is covered too. The namespace is bound as associated data.
 */
const SEAL_SALT = 'trailscope/alerts-config';
const sealAad = (names: Pick<Names, 'namespace'>) => `${names.namespace}/alerts/${CONFIG_ID}`;
const STORE_PURPOSE = 'the alerts configuration (destination secrets) is stored encrypted with it';

/** Validates and stores an alerts file; the detector and the senders read it within their refresh time. */
export async function storeAlerts(client: OpenSearchClient, names: Pick<Names, 'namespace'>, text: string, file: string, serverKey: string | undefined): Promise<LoadedAlerts> {
  const loaded = compileAlerts(text, file, 'stored');
  const sealed = sealSecret(deriveSecretKey(requireServerKey(serverKey, STORE_PURPOSE), SEAL_SALT), sealAad(names), text);
  await installAlertsIndex(client, names);
  try {
    await client.index({ index: alertsIndex(names), id: CONFIG_ID, body: { kind: 'config', sealed, file, version: loaded.version, at: new Date().toISOString() } as never, refresh: 'wait_for' });
  } catch (err) {
    throw toOpenSearchError(err, `storing the alerts configuration in ${alertsIndex(names)}`);
  }
  return loaded;
}

export interface AlertsSource {
  /** TRAILSCOPE_ALERTS_FILE (the runtime configuration's `alerts.file`): read instead of the stored configuration. */
  file?: string;
  /** TRAILSCOPE_SERVER_KEY, to open the stored configuration. */
  serverKey?: string;
}

/**
 * The alerts configuration in force: the file named by TRAILSCOPE_ALERTS_FILE when set, else the one stored by
 * `alerts apply`; undefined when neither exists (alerting off).
 */
export async function loadAlerts(client: OpenSearchClient, names: Pick<Names, 'namespace'>, source: AlertsSource): Promise<LoadedAlerts | undefined> {
  if (source.file) {
    let text: string;
    try {
      text = await readFile(source.file, 'utf8');
    } catch (err) {
      throw new TrailscopeError('CONFIG_INVALID', `TRAILSCOPE_ALERTS_FILE ${source.file}: cannot be read: ${(err as Error).message}`, { cause: err, context: { file: source.file, variable: 'TRAILSCOPE_ALERTS_FILE' } });
    }
    return compileAlerts(text, source.file, source.file);
  }
  let stored: { found?: boolean; _source?: { text?: unknown; sealed?: unknown; file?: unknown } };
  try {
    const res = await client.get({ index: alertsIndex(names), id: CONFIG_ID }, { ignore: [404] });
    stored = res.body as typeof stored;
  } catch (err) {
    throw toOpenSearchError(err, `reading the alerts configuration from ${alertsIndex(names)}`);
  }
  if (!stored.found || !stored._source) return undefined;
  const file = typeof stored._source.file === 'string' ? stored._source.file : 'stored alerts file';
  const sealed = SealedSecretSchema.safeParse(stored._source.sealed);
  if (sealed.success) {
    const key = deriveSecretKey(requireServerKey(source.serverKey, 'the stored alerts configuration is encrypted with it'), SEAL_SALT);
    return compileAlerts(openSecret(key, sealAad(names), sealed.data, `the alerts configuration stored from ${file}`), file, 'stored');
  }
  // stored in plaintext before configurations were sealed: still in force until the next `alerts apply` seals it
  if (typeof stored._source.text === 'string') return compileAlerts(stored._source.text, file, 'stored');
  return undefined;
}
