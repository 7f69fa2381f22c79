import type { Command } from 'commander';
import { createShutdown } from '@trailscope/runtime';
import { startApi } from '@trailscope/api';
import { configFrom } from '../context';
import { parsePort } from '../flags/value-parsers';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('HTTP API (/v1) and the CloudTrail LookupEvents-compatible endpoint (POST /); needs TRAILSCOPE_SERVER_KEY')
    .option('--port <port>', 'port to listen on (env TRAILSCOPE_API_PORT, default 8080; 0 picks a free one)', parsePort)
    .option('--host <host>', 'address to bind (env TRAILSCOPE_API_HOST, default 127.0.0.1)')
    .action(async (flags: { port?: number; host?: string }, command: Command) => {
      const config = configFrom(command, { TRAILSCOPE_API_PORT: flags.port, TRAILSCOPE_API_HOST: flags.host });
      const api = await startApi(config);
      const shutdown = createShutdown(0);
      shutdown.add(() => api.close());
      shutdown.listen();
      // scripts (and tests) read the bound address, which matters with --port 0
      process.stdout.write(`TRAILSCOPE_API_URL=${api.url}\n`);
    });
}
