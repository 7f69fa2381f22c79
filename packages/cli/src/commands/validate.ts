import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { TrailscopeError, errorMessageOf } from '@trailscope/model';
import { createOpenSearchClient, createS3Client } from '@trailscope/runtime';
import {
  DEFAULT_MAX_DIGEST_BYTES,
  DEFAULT_VALIDATE_CONCURRENCY,
  fetchPublicKeys,
  formatValidationSummary,
  parsePublicKeys,
  validateTrail,
  type Finding,
  type PublicKeys,
} from '@trailscope/evidence';
import { configFrom } from '../context';
import { parseList, parsePositiveInt } from '../flags/value-parsers';
import { createLineWriter } from '../search/stdout';

interface ValidateFlags {
  bucket: string;
  prefix?: string;
  account?: string[];
  region?: string[];
  from?: string;
  to?: string;
  publicKeys?: string;
  aws?: boolean;
  json?: boolean;
  index?: boolean;
  concurrency: number;
  maxDigestBytes: number;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** An ISO-8601 date or time; a date alone is the start of that day (UTC), or its last millisecond for an end. */
export function parseInstant(flag: string, value: string, end: boolean): number {
  if (DATE_ONLY.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    if (!Number.isNaN(ms)) return end ? ms + 86_400_000 - 1 : ms;
  } else if (ISO_TIME.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new TrailscopeError('USAGE', `${flag}: expected an ISO-8601 date (2026-03-01) or time (2026-03-01T12:00:00Z), got ${JSON.stringify(value)}`);
}

function readKeyFile(path: string): PublicKeys {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TrailscopeError('USAGE', `--public-keys ${path}: cannot be read (${errorMessageOf(err)})`, { cause: err });
  }
  return parsePublicKeys(text, `--public-keys ${path}`);
}

function findingLine(f: Finding): string {
  return `${f.code} s3://${f.bucket}/${f.key}: ${f.message}`;
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      "Verify the trail's digest files as `aws cloudtrail validate-logs` does, for every account and region of the bucket: digest signatures, the digest chain, each listed log file's hash, and log files no digest lists. Exit 0 when everything is valid, 1 otherwise.",
    )
    .requiredOption('--bucket <bucket>', 'S3 bucket the trail delivers to')
    .option('--prefix <prefix>', 'key prefix of the trail (the part before AWSLogs/)')
    .option('--account <id>', 'only these 12-digit accounts (repeatable, or comma-separated)', parseList)
    .option('--region <region>', 'only these regions (repeatable, or comma-separated)', parseList)
    .option('--from <time>', 'first digest delivery time to validate (ISO-8601 date or time; default: the oldest)')
    .option('--to <time>', 'last digest delivery time to validate, inclusive (default: now)')
    .option('--public-keys <file>', 'JSON output of `aws cloudtrail list-public-keys` (offline validation)')
    .option('--aws', 'fetch the public keys with CloudTrail ListPublicKeys (AWS credential chain)')
    .option('--index', 'also prove the index complete: every log file a valid digest lists is in the file ledger with the same hash and all its records indexed, and every ledger file is still in S3 or listed by a digest')
    .option('--json', 'one JSON line per finding, then {"summary":{...}}')
    .option('--concurrency <n>', 'log files fetched and hashed at once', parsePositiveInt, DEFAULT_VALIDATE_CONCURRENCY)
    .option('--max-digest-bytes <n>', 'largest uncompressed digest file read; a larger one is DIGEST_TOO_LARGE', parsePositiveInt, DEFAULT_MAX_DIGEST_BYTES)
    .action(async (flags: ValidateFlags, cmd: Command) => {
      if (Boolean(flags.publicKeys) === Boolean(flags.aws)) {
        throw new TrailscopeError('USAGE', 'validate: give exactly one of --public-keys FILE or --aws');
      }
      const fromMs = flags.from === undefined ? undefined : parseInstant('--from', flags.from, false);
      const toMs = flags.to === undefined ? undefined : parseInstant('--to', flags.to, true);
      if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw new TrailscopeError('USAGE', `--from ${flags.from} is after --to ${flags.to}`);
      const config = configFrom(cmd);
      const publicKeys = flags.publicKeys
        ? readKeyFile(flags.publicKeys)
        : await fetchPublicKeys(new CloudTrailClient({ region: config.s3.region }), fromMs === undefined ? undefined : new Date(fromMs), toMs === undefined ? undefined : new Date(toMs));
      const s3 = createS3Client(config);
      const opensearch = flags.index ? createOpenSearchClient(config) : undefined;
      const out = createLineWriter();
      try {
        const summary = await validateTrail(s3, {
          bucket: flags.bucket,
          prefix: flags.prefix,
          accounts: flags.account,
          regions: flags.region,
          fromMs,
          toMs,
          publicKeys,
          concurrency: flags.concurrency,
          maxDigestBytes: flags.maxDigestBytes,
          ...(opensearch ? { index: { client: opensearch, names: config.names } } : {}),
          onFinding: (f) => out.line(flags.json ? JSON.stringify(f) : findingLine(f)),
        });
        await out.line(flags.json ? JSON.stringify({ summary }) : `${summary.valid ? '' : '\n'}${formatValidationSummary(summary)}`);
        process.exitCode = summary.valid ? 0 : 1;
      } finally {
        s3.destroy();
        await opensearch?.close();
      }
    });
}
