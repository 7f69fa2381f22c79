import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { generateTrail, uploadFiles } from '@trailscope/fixtures';
import { TrailscopeError, errorMessageOf } from '@trailscope/model';
import { createLogger, createOpenSearchClient, createS3Client, loadConfig } from '@trailscope/runtime';
import { stackUp } from '@trailscope/stack';
import { createKeyStore } from '@trailscope/api';

/** A small organization: two member accounts in an organization trail plus one standalone account. */
const DEMO = {
  namespace: 'demo',
  bucket: 'trailscope-demo',
  orgId: 'o-7h2k9x4m1q',
  orgAccounts: ['111122223333', '444455556666'],
  accounts: ['777788889999'],
  regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
  filesPerPartition: 2,
  eventsPerFile: 12,
  seed: 20260301,
};

const CLI_BIN = path.resolve(__dirname, '..', '..', 'bin', 'trailscope.js');

function step(n: number, text: string): void {
  process.stderr.write(`\n[demo ${n}/5] ${text}\n`);
}

/** The two complete UTC days before today, so the trail looks recent without events in the future. */
function recentDays(now = new Date()): string[] {
  const day = (back: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - back)).toISOString().slice(0, 10);
  return [day(2), day(1)];
}

/**
 * Runs a public `trailscope` command as a child process: the demo exercises the same commands (and exit codes)
 * an operator uses, with the output going straight to the terminal.
 */
function runTrailscope(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
  });
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'start the local stack, upload a generated organization trail (3 accounts, 3 regions, 2 days) to its S3 server, ingest it through the queue and workers, and search across accounts and regions (namespace "demo")',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals() as { dir?: string };
      const logger = createLogger({ name: 'demo', level: loadConfig({ stackDir: g.dir }).logLevel });

      step(1, 'starting the local stack: OpenSearch, Redis, S3 server (the first run fetches OpenSearch with Maven)');
      const endpoints = await stackUp({ dir: g.dir, logger });
      // The demo always targets the stack it just started, whatever endpoints the shell exports.
      const env: NodeJS.ProcessEnv = { ...process.env, ...endpoints, TRAILSCOPE_NAMESPACE: DEMO.namespace };
      process.stderr.write(`${Object.entries(endpoints).map(([k, v]) => `  ${k}=${v}`).join('\n')}\n`);

      const days = recentDays();
      step(2, `generating a trail: organization ${DEMO.orgId} (${DEMO.orgAccounts.join(', ')}) and account ${DEMO.accounts.join(', ')}, regions ${DEMO.regions.join(', ')}, days ${days.join(', ')}`);
      const files = generateTrail({ ...DEMO, days });
      const events = files.reduce((n, f) => n + f.records.length, 0);
      process.stderr.write(`  ${files.length} log files, ${events} events\n`);

      step(3, `uploading to s3://${DEMO.bucket}`);
      const s3 = createS3Client(loadConfig({ env }));
      try {
        await s3.send(new CreateBucketCommand({ Bucket: DEMO.bucket })).catch((err: unknown) => {
          // S3 says OwnedByYou for our own bucket; s3rver says AlreadyExists. Either way it is ours to reuse.
          const name = (err as { name?: string }).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
        });
        await uploadFiles(s3, DEMO.bucket, files);
      } catch (cause) {
        throw new TrailscopeError('S3_UNAVAILABLE', `uploading the demo trail to s3://${DEMO.bucket} failed: ${errorMessageOf(cause)}`, { cause });
      } finally {
        s3.destroy();
      }

      step(4, `ingesting: trailscope backfill --bucket ${DEMO.bucket} --wait (S3 listing -> BullMQ jobs -> workers -> OpenSearch)`);
      const backfill = await runTrailscope(['backfill', '--bucket', DEMO.bucket, '--wait'], env);
      if (backfill !== 0) {
        throw new TrailscopeError('INTERNAL', `the demo backfill exited with ${backfill}; see its output above (and \`trailscope --namespace ${DEMO.namespace} failed\`)`);
      }

      // Indices refresh every few seconds; the demo searches at once, so it makes the new events visible now.
      const demoConfig = loadConfig({ env });
      const opensearch = createOpenSearchClient(demoConfig);
      try {
        await opensearch.indices.refresh({ index: demoConfig.names.eventsAlias });
      } finally {
        await opensearch.close();
      }

      const accounts = [...DEMO.orgAccounts, ...DEMO.accounts];
      const searchArgs = ['search', ...accounts.flatMap((a) => ['--account', a]), ...DEMO.regions.flatMap((r) => ['--region', r]), '--limit', '20'];
      step(5, `searching across accounts and regions: trailscope ${searchArgs.join(' ')}`);
      const search = await runTrailscope(searchArgs, env);
      if (search !== 0) throw new TrailscopeError('INTERNAL', `the demo search exited with ${search}`);

      // A key for the web console; without a configured server key the demo draws one, and serve must run with it.
      const serverKey = demoConfig.api.serverKey ?? randomBytes(32).toString('hex');
      const keyClient = createOpenSearchClient(demoConfig);
      let consoleKey: { id: string; secret: string };
      try {
        consoleKey = await createKeyStore(keyClient, demoConfig.names, serverKey).create({ name: 'demo console' });
      } finally {
        await keyClient.close();
      }
      const host = demoConfig.api.host === '0.0.0.0' || demoConfig.api.host === '::' ? 'localhost' : demoConfig.api.host;
      const serveCommand = demoConfig.api.serverKey
        ? 'npx trailscope --namespace demo serve'
        : `TRAILSCOPE_SERVER_KEY=${serverKey} npx trailscope --namespace demo serve`;

      process.stderr.write(
        [
          '',
          'Web console (Event history in the browser):',
          `  start the API:  ${serveCommand}`,
          `  then open:      http://${host}:${demoConfig.api.port}/`,
          `  key id:         ${consoleKey.id}`,
          `  secret:         ${consoleKey.secret}`,
          '',
          'Try more (the demo data lives in namespace "demo"):',
          '  npx trailscope --namespace demo search --errors-only --limit 10',
          '  npx trailscope --namespace demo search --agg eventSource',
          `  npx trailscope --namespace demo search --account ${DEMO.orgAccounts[0]} --region eu-west-1 --count`,
          'Stop the stack with: npx trailscope stack down',
          '',
        ].join('\n'),
      );
    });
}
