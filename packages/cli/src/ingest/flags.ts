import { TrailscopeError } from '@trailscope/model';
import { parseDay } from '@trailscope/poller';
import { checkScope } from '../flags/scope';

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
  checkScope(opts);
  return { bucket: opts.bucket, prefix: opts.prefix, from, to, accounts: opts.account ?? [], regions: opts.region ?? [] };
}
