import { TrailscopeError } from '@trailscope/model';
import { parseDay } from '@trailscope/poller';

export interface SelectionFlags {
  bucket: string;
  prefix?: string;
  from?: string;
  to?: string;
  account?: string[];
  region?: string[];
}

/** Validates the flags that select what to ingest; every message names its flag. */
export function parseSelection(opts: SelectionFlags) {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(opts.bucket)) {
    throw new TrailscopeError('USAGE', `--bucket "${opts.bucket}" is not a valid S3 bucket name`, { context: { flag: '--bucket' } });
  }
  const from = opts.from === undefined ? undefined : parseDay(opts.from, '--from');
  const to = opts.to === undefined ? undefined : parseDay(opts.to, '--to');
  if (from && to && from > to) throw new TrailscopeError('USAGE', `--from ${from} is after --to ${to}`, { context: { flag: '--from' } });
  for (const a of opts.account ?? []) {
    if (!/^\d{12}$/.test(a)) throw new TrailscopeError('USAGE', `--account "${a}" is not a 12-digit AWS account id`, { context: { flag: '--account' } });
  }
  for (const r of opts.region ?? []) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(r)) throw new TrailscopeError('USAGE', `--region "${r}" is not an AWS region name`, { context: { flag: '--region' } });
  }
  return { bucket: opts.bucket, prefix: opts.prefix, from, to, accounts: opts.account ?? [], regions: opts.region ?? [] };
}
