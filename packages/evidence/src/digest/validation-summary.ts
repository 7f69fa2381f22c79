import type { FindingCode } from './finding';

export interface ValidationSummary {
  /** The range asked for (ISO), `from` absent when the whole history was asked for. */
  requestedFrom?: string;
  requestedTo: string;
  /** The span the validated digests cover, absent when none was validated. */
  foundFrom?: string;
  foundTo?: string;
  /** Account/region digest folders and digest chains (one per trail) met. */
  streams: number;
  chains: number;
  digestFiles: { total: number; valid: number; invalid: number };
  logFiles: { total: number; valid: number; invalid: number };
  /** Log files in S3 under a validated window that no digest lists. */
  unlistedLogFiles: number;
  /** With --index: listed log files checked against the file ledger, and those indexed unchanged and whole. */
  index?: { checked: number; indexed: number; ledgerFilesMissing: number };
  findings: Partial<Record<FindingCode, number>>;
  /** true when nothing was found wrong. */
  valid: boolean;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The closing lines, worded like `aws cloudtrail validate-logs`. */
export function formatValidationSummary(s: ValidationSummary): string {
  const lines = [`Results requested for ${s.requestedFrom ?? 'the beginning'} to ${s.requestedTo}`];
  lines.push(s.foundFrom && s.foundTo ? `Results found for ${s.foundFrom} to ${s.foundTo}:` : 'No valid digest file found in that range.');
  lines.push('');
  const d = s.digestFiles;
  lines.push(`${d.valid}/${d.total} digest files valid${d.invalid > 0 ? `, ${d.invalid}/${d.total} digest files INVALID` : ''}`);
  const l = s.logFiles;
  lines.push(`${l.valid}/${l.total} log files valid${l.invalid > 0 ? `, ${l.invalid}/${l.total} log files INVALID` : ''}`);
  if (s.unlistedLogFiles > 0) lines.push(`${plural(s.unlistedLogFiles, 'log file')} in S3 listed by no digest`);
  if (s.index) {
    const i = s.index;
    lines.push(`${i.indexed}/${i.checked} listed log files indexed unchanged${i.checked > i.indexed ? `, ${i.checked - i.indexed}/${i.checked} NOT (see findings)` : ''}`);
    if (i.ledgerFilesMissing > 0) lines.push(`${plural(i.ledgerFilesMissing, 'indexed file')} gone from S3 and listed by no digest`);
  }
  lines.push(`${plural(s.streams, 'account/region')}, ${plural(s.chains, 'digest chain')}`);
  return lines.join('\n');
}
