import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipLogFile, logFileKey, type GeneratedFile } from '@trailscope/fixtures';
import { createIngestQueue, pendingCounts, type IngestQueue } from '@trailscope/queue';
import { runCli, waitFor } from '../../support/env';
import { createScope, type TestScope } from '../../ingest/support/services';
import { freePort } from '../../ingest/support/processes';
import { AlertReceiver } from './receiver';

/** The server key alerts suites run with: `alerts apply` seals the stored configuration under it, senders open it. */
export const SERVER_KEY = 'alerts-test-server-key-0123456789abcdef';

/** Environment of the trailscope processes of an alerts suite. */
export function alertsEnv(namespace: string): Record<string, string> {
  return { TRAILSCOPE_NAMESPACE: namespace, TRAILSCOPE_JOB_LOCK_MS: '4000', TRAILSCOPE_SERVER_KEY: SERVER_KEY };
}

/** A test rule (one Sigma document) matching every event of one name. */
export function eventNameRule(id: string, title: string, eventName: string, level: string): string {
  return `title: ${title}
id: ${id}
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: ${eventName}}
  condition: sel
level: ${level}
`;
}

/** An alerts.yml routing everything to one webhook destination `hook` at `url`; `rest` follows the routes. */
export function hookAlertsFile(url: string, secret: string, rest: string): string {
  return `destinations:
  - {name: hook, type: webhook, url: "${url}", secret: "${secret}"}
routes:
  - {destination: hook}
${rest}`;
}

/** One CloudTrail log file of the given records, delivered at `fileTime`. */
export function logFileOf(records: Array<Record<string, unknown>>, at: { account: string; region: string; fileTime: string; suffix: string }): GeneratedFile {
  const rawRecords = records.map((r) => JSON.stringify(r));
  return {
    key: logFileKey({ account: at.account, region: at.region, fileTimeMs: Date.parse(at.fileTime), suffix: at.suffix }),
    body: gzipLogFile(rawRecords),
    account: at.account,
    region: at.region,
    deliveryDate: at.fileTime.slice(0, 10),
    records,
    rawRecords,
  };
}

/** What an alerts suite sets up before its tests: a scope, its ingest queue, a scratch folder with a rules folder, a receiver. */
export interface AlertSuite {
  scope: TestScope;
  queue: IngestQueue;
  dir: string;
  receiver: AlertReceiver;
}

/** Sets up an alerts suite; the receiver is listening only when `receiverUp`. */
export async function setUpAlertSuite(name: string, secret: string, receiverUp: boolean): Promise<AlertSuite> {
  const scope = await createScope(`t-alert-${name}`);
  const queue = createIngestQueue(scope.config, scope.redis);
  const dir = await mkdtemp(join(tmpdir(), `ts-alert-${name}-`));
  const receiver = new AlertReceiver(await freePort(), secret);
  if (receiverUp) await receiver.up();
  await mkdir(join(dir, 'rules'));
  return { scope, queue, dir, receiver };
}

/** Applies the suite's rules folder and its alerts.yml. */
export async function applyRulesAndAlerts(dir: string, env: Record<string, string>): Promise<void> {
  expect((await runCli(['rules', 'apply', join(dir, 'rules')], { env })).code).toBe(0);
  expect((await runCli(['alerts', 'apply', join(dir, 'alerts.yml')], { env })).code).toBe(0);
}

/** Waits until the ingest queue is drained and every indexed file has been evaluated. */
export async function waitForIngestEvaluated(scope: TestScope, queue: IngestQueue): Promise<void> {
  await waitFor(async () => (await pendingCounts(queue)).total === 0, { timeoutMs: 240000, intervalMs: 500, what: 'ingest queue drained' });
  await waitFor(async () => (await scope.redis.zcard(`${scope.config.names.redisPrefix}detect:pending`)) === 0, { timeoutMs: 120000, intervalMs: 500, what: 'every indexed file evaluated' });
}
