import type { Command } from 'commander';
import { listDeadLetters } from '@trailscope/indexer';
import { createOpenSearchClient } from '@trailscope/runtime';
import { configFrom } from '../context';
import { parsePositiveInt } from '../flags/value-parsers';

/** Raw records can be large; the human listing shows their start, --json shows them whole. */
const RAW_PREVIEW_CHARS = 300;

export function registerDlqCommand(program: Command): void {
  program
    .command('dlq')
    .description('List dead-lettered records (refused by the parser or by OpenSearch), newest first, with code, reason and source file')
    .option('--json', 'one JSON object per record and line: at, code, reason, bucket, key, etag, raw (the record as delivered)')
    .option('--limit <n>', 'at most N records (default 100)', parsePositiveInt, 100)
    .action(async (opts: { json?: boolean; limit: number }, cmd: Command) => {
      const config = configFrom(cmd);
      const client = createOpenSearchClient(config);
      try {
        const { total, entries } = await listDeadLetters(client, config, { limit: opts.limit });
        for (const e of entries) {
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ at: e.at, code: e.code, reason: e.reason, bucket: e.bucket, key: e.key, etag: e.etag, raw: e.raw })}\n`);
          } else {
            const raw = e.raw.length > RAW_PREVIEW_CHARS ? `${e.raw.slice(0, RAW_PREVIEW_CHARS)}…` : e.raw;
            process.stdout.write(`${e.at}  ${e.code}  s3://${e.bucket}/${e.key}\n  reason: ${e.reason}\n  raw: ${raw}\n`);
          }
        }
        if (!opts.json) {
          process.stdout.write(
            total === 0 ? 'no dead-lettered records\n' : `${total} dead-lettered record${total === 1 ? '' : 's'}${entries.length < total ? ` (showing ${entries.length})` : ''}\n`,
          );
        }
      } finally {
        await client.close();
      }
    });
}
