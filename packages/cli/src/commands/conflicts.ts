import type { Command } from 'commander';
import { listConflicts } from '@trailscope/indexer';
import { createOpenSearchClient } from '@trailscope/runtime';
import { configFrom } from '../context';

/** Raw records can be large; the human listing shows their start, --json shows them whole. */
const RAW_PREVIEW_CHARS = 300;

export function registerConflictsCommand(program: Command): void {
  program
    .command('conflicts')
    .description(
      'List the records whose event id was already stored with different content (kept aside, never indexed), newest first: the file each came from, the stored document it collides with, and what differs',
    )
    .option(
      '--json',
      'one JSON object per conflicting copy and line: eventId, bucket, key, etag, reason, code, storedIndex, storedId, storedBucket, storedKey, sha256, storedSha256, at, raw (the copy as delivered)',
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const client = createOpenSearchClient(config);
      let count = 0;
      try {
        for await (const c of listConflicts(client, config)) {
          count += 1;
          if (opts.json) {
            const { eventId, bucket, key, etag, reason, code, storedIndex, storedId, storedBucket, storedKey, sha256, storedSha256, at, raw } = c;
            process.stdout.write(`${JSON.stringify({ eventId, bucket, key, etag, reason, code, storedIndex, storedId, storedBucket, storedKey, sha256, storedSha256, at, raw })}\n`);
          } else {
            const raw = c.raw.length > RAW_PREVIEW_CHARS ? `${c.raw.slice(0, RAW_PREVIEW_CHARS)}…` : c.raw;
            const storedFrom = c.storedKey ? ` (from s3://${c.storedBucket ?? '?'}/${c.storedKey})` : '';
            process.stdout.write(`${c.at}  ${c.eventId}  s3://${c.bucket}/${c.key}\n  stored: ${c.storedIndex}/${c.storedId}${storedFrom}\n  reason: ${c.reason}\n  raw: ${raw}\n`);
          }
        }
        if (!opts.json) process.stdout.write(count === 0 ? 'no conflicts\n' : `${count} conflicting cop${count === 1 ? 'y' : 'ies'}\n`);
      } finally {
        await client.close();
      }
    });
}
