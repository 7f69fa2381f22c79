import type { Command } from 'commander';
import { createIngestQueue, listFailed, retryFailed } from '@trailscope/queue';
import { createRedis } from '@trailscope/runtime';
import { configFrom } from '../context';

export function registerFailedCommand(program: Command): void {
  program
    .command('failed')
    .description('List log files whose ingestion failed permanently (S3 key, error code, message, attempts); --retry queues them again')
    .option('--json', 'one JSON object per failed file and line: bucket, key, etag, code, message, attempts, failedAt')
    .option('--retry', 're-queue every failed file with fresh attempts (run `trailscope worker` or a backfill --wait to process them)')
    .action(async (opts: { json?: boolean; retry?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const redis = createRedis(config);
      const queue = createIngestQueue(config, redis);
      try {
        if (opts.retry) {
          const n = await retryFailed(queue);
          if (opts.json) process.stdout.write(`${JSON.stringify({ retried: n })}\n`);
          else process.stdout.write(`re-queued ${n} failed file${n === 1 ? '' : 's'}\n`);
          return;
        }
        let n = 0;
        for await (const f of listFailed(queue)) {
          n += 1;
          if (opts.json) {
            const { jobId: _jobId, ...rest } = f;
            process.stdout.write(`${JSON.stringify(rest)}\n`);
          } else {
            process.stdout.write(`s3://${f.bucket}/${f.key}\n  ${f.code}: ${f.message} (attempts: ${f.attempts})\n`);
          }
        }
        if (!opts.json) process.stdout.write(n === 0 ? 'no failed files\n' : `${n} failed file${n === 1 ? '' : 's'}\n`);
      } finally {
        await queue.close();
        redis.disconnect();
      }
    });
}
