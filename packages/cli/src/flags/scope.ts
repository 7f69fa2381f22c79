import { TrailscopeError } from '@trailscope/model';

/** Checks the --account and --region values of a command; every message names its flag and the value. */
export function checkScope(opts: { account?: string[]; region?: string[] }): void {
  for (const a of opts.account ?? []) {
    if (!/^\d{12}$/.test(a)) throw new TrailscopeError('USAGE', `--account "${a}" is not a 12-digit AWS account id`, { context: { flag: '--account' } });
  }
  for (const r of opts.region ?? []) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(r)) throw new TrailscopeError('USAGE', `--region "${r}" is not an AWS region name`, { context: { flag: '--region' } });
  }
}
