/**
 * One account/kind/region folder of a trail (`[prefix/]AWSLogs/[o-org/]<account>/<CloudTrail|...>/<region>/`):
 * the unit discovery finds; the ingest pass lists each one as a single sequence and splits it into day partitions.
 */
export interface LogStream {
  /** Normalized user prefix ("" or ending in "/"). */
  prefix: string;
  orgId?: string;
  account: string;
  kind: 'log' | 'insight' | 'digest';
  region: string;
  /** The stream's folder, ending in "/". */
  root: string;
}

export const KIND_FOLDERS = { log: 'CloudTrail', insight: 'CloudTrail-Insight', digest: 'CloudTrail-Digest' } as const;

export function streamRoot(s: Omit<LogStream, 'root'>): string {
  return `${s.prefix}AWSLogs/${s.orgId ? `${s.orgId}/` : ''}${s.account}/${KIND_FOLDERS[s.kind]}/${s.region}/`;
}

/** Day partition prefix of a stream: `<root>YYYY/MM/DD/`. */
export function dayPrefix(stream: LogStream, date: string): string {
  return `${stream.root}${date.replace(/-/g, '/')}/`;
}

/** A short stable label for logs and checkpoints: `o-org/account/kind/region`. */
export function streamLabel(s: LogStream): string {
  return `${s.orgId ? `${s.orgId}/` : ''}${s.account}/${s.kind}/${s.region}`;
}
