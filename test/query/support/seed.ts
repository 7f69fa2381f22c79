import { Readable } from 'node:stream';
import { createBulkWriter, installTemplates } from '@trailscope/indexer';
import { parseLogFile } from '@trailscope/parser';
import { generateTrail, type GeneratedFile, type GenerateTrailOptions } from '@trailscope/fixtures';
import { createLogger, createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, makeConfig, uniqueNamespace } from '../../support/env';

/** One seeded event: the record as generated, its exact text in the log file, and where it was delivered. */
export interface SeedEvent {
  id: string;
  record: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  raw: string;
  fileAccount: string;
  fileRegion: string;
}

export interface SeededStore {
  ns: string;
  config: Config;
  client: OpenSearchClient;
  events: SeedEvent[];
  /** Ids of the seeded events matching `pred`, sorted. */
  want(pred: (e: SeedEvent) => boolean): string[];
  /** Indexes more files through the same parser and indexer (new events arriving). */
  add(files: GeneratedFile[]): Promise<SeedEvent[]>;
  close(): Promise<void>;
}

export const ACCOUNT_A = '111111111111';
export const ACCOUNT_B = '222222222222';
export const ORG_ACCOUNT = '333333333333';
export const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
export const DAYS = ['2026-03-01', '2026-03-02'];

/** The seed every query/API suite shares the shape of: 3 accounts (one in an organization trail), 3 regions, 2 days. */
export function standardTrail(seed = 7, extra: Partial<GenerateTrailOptions> = {}): GeneratedFile[] {
  return generateTrail({
    seed,
    accounts: [ACCOUNT_A, ACCOUNT_B],
    orgId: 'o-a1b2c3d4e5',
    orgAccounts: [ORG_ACCOUNT],
    regions: REGIONS,
    days: DAYS,
    filesPerPartition: 2,
    eventsPerFile: 12,
    lateEventShare: 0.1,
    ...extra,
  });
}

function eventsOf(files: GeneratedFile[]): SeedEvent[] {
  return files.flatMap((f) =>
    f.records.map((record, i) => ({ id: String(record.eventID), record, raw: f.rawRecords[i] as string, fileAccount: f.account, fileRegion: f.region })),
  );
}

/**
 * Indexes generated log files through the real parser and bulk writer into a fresh namespace, then refreshes so
 * every event is searchable.
 */
export async function seedStore(prefix: string, files: GeneratedFile[], overrides: Record<string, string> = {}): Promise<SeededStore> {
  const ns = uniqueNamespace(prefix);
  const config = makeConfig(ns, overrides);
  const client = createOpenSearchClient(config);
  const logger = createLogger({ level: 'warn', name: 'seed' });
  await installTemplates(client, config);
  const events: SeedEvent[] = [];

  async function add(more: GeneratedFile[]): Promise<SeedEvent[]> {
    const writer = createBulkWriter({ client, config, logger });
    const ingestedAt = new Date().toISOString();
    for (const f of more) {
      const source = { bucket: 'seed', key: f.key, etag: `etag-${f.key.length}`, kind: 'log' as const, account: f.account, region: f.region, orgId: f.orgId };
      for await (const item of parseLogFile(Readable.from([f.body]), source, { maxObjectBytes: 64 * 1024 * 1024, ingestedAt })) {
        if (!item.ok) throw new Error(`seed record rejected: ${item.code} ${item.reason}`);
        await writer.add(item.id, item.doc);
      }
    }
    const stats = await writer.flush();
    const added = eventsOf(more);
    if (stats.indexed + stats.duplicates !== added.length) throw new Error(`seed indexed ${stats.indexed} of ${added.length} events`);
    await client.indices.refresh({ index: config.names.eventIndexPattern });
    events.push(...added);
    return added;
  }

  await add(files);
  return {
    ns,
    config,
    client,
    events,
    want: (pred) => events.filter(pred).map((e) => e.id).sort(),
    add,
    async close() {
      await cleanupNamespace(client, ns);
      await client.close();
    },
  };
}
