import { generateTrail, type GeneratedFile } from '@trailscope/fixtures';

/**
 * A generated bucket layout: accounts (plain and under an organization) x regions x delivery days, a fixed number of
 * files per partition and events per file, so a data set of N events is exactly N events.
 */
export interface DatasetSpec {
  name: string;
  seed: number;
  accounts: string[];
  orgId: string;
  orgAccounts: string[];
  regions: string[];
  days: string[];
  filesPerPartition: number;
  eventsPerFile: number;
}

export interface DatasetFile {
  key: string;
  body: Buffer;
  events: number;
  /** Size of the log file once gunzipped. */
  uncompressedBytes: number;
  account: string;
  region: string;
  deliveryDate: string;
}

const ACCOUNTS = ['111122223333', '444455556666'];
const ORG_ID = 'o-bench12345ab';
const ORG_ACCOUNTS = ['777788889999', '123456789012'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05'];

/** A data set of exactly `events` events in files of `eventsPerFile`, spread over 4 accounts x 2 regions x 5 days. */
export function datasetOf(name: string, seed: number, events: number, eventsPerFile: number): DatasetSpec {
  const partitions = (ACCOUNTS.length + ORG_ACCOUNTS.length) * REGIONS.length * DAYS.length;
  const files = events / eventsPerFile;
  if (!Number.isInteger(files) || files % partitions !== 0) {
    throw new Error(`data set ${name}: ${events} events must fill whole files of ${eventsPerFile} over ${partitions} partitions`);
  }
  return {
    name,
    seed,
    accounts: ACCOUNTS,
    orgId: ORG_ID,
    orgAccounts: ORG_ACCOUNTS,
    regions: REGIONS,
    days: DAYS,
    filesPerPartition: files / partitions,
    eventsPerFile,
  };
}

export function datasetTotals(spec: DatasetSpec): { files: number; events: number; partitions: number } {
  const partitions = (spec.accounts.length + spec.orgAccounts.length) * spec.regions.length * spec.days.length;
  const files = partitions * spec.filesPerPartition;
  return { files, events: files * spec.eventsPerFile, partitions };
}

function uncompressedSize(file: GeneratedFile): number {
  // `{"Records":[` + records joined by commas + `]}`, exactly as gzipLogFile frames them
  let bytes = '{"Records":['.length + ']}'.length + Math.max(0, file.rawRecords.length - 1);
  for (const r of file.rawRecords) bytes += Buffer.byteLength(r, 'utf8');
  return bytes;
}

/**
 * The files of a data set, one partition generated at a time so that a million events never sit in memory as
 * records: only the gzip bodies the caller keeps survive.
 */
export function* datasetFiles(spec: DatasetSpec): Generator<DatasetFile> {
  let partition = 0;
  const owners = [
    ...spec.accounts.map((a) => ({ accounts: [a], orgAccounts: [] as string[] })),
    ...spec.orgAccounts.map((a) => ({ accounts: [] as string[], orgAccounts: [a] })),
  ];
  for (const owner of owners) {
    for (const region of spec.regions) {
      for (const day of spec.days) {
        partition += 1;
        const files = generateTrail({
          seed: spec.seed * 100_003 + partition,
          accounts: owner.accounts,
          orgId: owner.orgAccounts.length ? spec.orgId : undefined,
          orgAccounts: owner.orgAccounts,
          regions: [region],
          days: [day],
          filesPerPartition: spec.filesPerPartition,
          eventsPerFile: spec.eventsPerFile,
        });
        for (const f of files) {
          yield {
            key: f.key,
            body: f.body,
            events: f.rawRecords.length,
            uncompressedBytes: uncompressedSize(f),
            account: f.account,
            region: f.region,
            deliveryDate: f.deliveryDate,
          };
        }
      }
    }
  }
}
