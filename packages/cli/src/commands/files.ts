import type { Command } from 'commander';
import { FILE_STATUSES, type FileLedgerEntry } from '@trailscope/indexer';
import { MAX_FILES_PAGE, listFiles, parseFilesRequest } from '@trailscope/evidence';
import { UNRESTRICTED } from '@trailscope/query';
import { createOpenSearchClient } from '@trailscope/runtime';
import { configFrom } from '../context';
import { parseList, parsePositiveInt } from '../flags/value-parsers';
import { withFlagNames } from '../search/filter-flags';
import { createLineWriter } from '../search/stdout';

const FLAG_OF: Record<string, string> = { accounts: '--account', regions: '--region', statuses: '--status', pageSize: '--limit', from: '--from', to: '--to', bucket: '--bucket' };

interface FilesFlags {
  account?: string[];
  region?: string[];
  from?: string;
  to?: string;
  status?: string[];
  bucket?: string;
  limit?: number;
  json?: boolean;
}

function human(f: FileLedgerEntry): string {
  const counts = `${f.recordsRead} read, ${f.documentsCreated} created, ${f.duplicates} dup, ${f.deadLettered} dlq, ${f.conflicts} conflicts`;
  const span = f.firstEventTime ? `${f.firstEventTime}..${f.lastEventTime ?? ''}` : '-';
  const error = f.status === 'failed' ? `  ${f.errorCode ?? ''}: ${f.error ?? ''}` : '';
  return `${f.status.padEnd(8)}  s3://${f.bucket}/${f.key}  etag ${f.etag}  sha256 ${f.sha256 || '-'}  ${counts}  events ${span}  ingested ${f.ingestedAt}${error}`;
}

export function registerFilesCommand(program: Command): void {
  program
    .command('files')
    .description(
      'List the file ledger: every log file ingested, with its etag, size, SHA-256 of its uncompressed content, records read, documents created, duplicates, dead-lettered, conflicts, first/last eventTime, the event indices its events went to, when it was ingested and its status',
    )
    .option('--account <id>', 'only files of these accounts (repeatable, or comma-separated)', parseList)
    .option('--region <region>', 'only files of these regions (repeatable, or comma-separated)', parseList)
    .option('--from <time>', 'files with an event at or after this time (ISO-8601, a date, or back from now: 24h, 7d)')
    .option('--to <time>', 'files with an event at or before this time, inclusive')
    .option('--status <status>', `${FILE_STATUSES.join(', ')} (repeatable)`, parseList)
    .option('--bucket <bucket>', 'only files of this bucket')
    .option('--limit <n>', 'print at most N files (default: all)', parsePositiveInt)
    .option('--json', 'one ledger entry per line as JSON')
    .action(async (flags: FilesFlags, cmd: Command) => {
      const config = configFrom(cmd);
      const client = createOpenSearchClient(config);
      const out = createLineWriter();
      const nowMs = Date.now();
      try {
        let remaining = flags.limit ?? Number.POSITIVE_INFINITY;
        let cursor: string | undefined;
        let total = 0;
        let shown = 0;
        await client.transport.request({ method: 'POST', path: `/${encodeURIComponent(config.names.filesIndex)}/_refresh` }).catch(() => undefined);
        do {
          const request = parseFilesRequest({
            accounts: flags.account,
            regions: flags.region,
            from: flags.from,
            to: flags.to,
            statuses: flags.status,
            bucket: flags.bucket,
            pageSize: Math.min(remaining, MAX_FILES_PAGE),
            cursor,
          });
          const page = await listFiles(client, config.names, request, UNRESTRICTED, nowMs);
          total = page.total;
          for (const f of page.files) await out.line(flags.json ? JSON.stringify(f) : human(f));
          shown += page.files.length;
          remaining -= page.files.length;
          cursor = page.cursor;
        } while (cursor && remaining > 0 && !out.closed);
        if (!flags.json) process.stderr.write(`${shown} of ${total} file(s)\n`);
      } catch (err) {
        throw withFlagNames(err, FLAG_OF);
      } finally {
        await client.close();
      }
    });
}
