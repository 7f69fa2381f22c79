import { Command, InvalidArgumentError } from 'commander';
import { createLogger, loadConfig } from '@trailscope/runtime';
import { MAX_NODES, formatEndpoints, stackDown, stackStatus, stackUp, type ServiceStatus } from '@trailscope/stack';

interface StackFlags {
  dir?: string;
  nodes?: number;
  json?: boolean;
}

function parseNodes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) throw new InvalidArgumentError(`--nodes must be an integer from 1 to ${MAX_NODES}`);
  return n;
}

/** `--dir` is a root option (every command reads the stack's stack.env), so it arrives through optsWithGlobals. */
function flagsOf(cmd: Command): StackFlags {
  return cmd.optsWithGlobals() as StackFlags;
}

function loggerFor(flags: StackFlags) {
  const { logLevel } = loadConfig({ stackDir: flags.dir });
  return createLogger({ name: 'trailscope-stack', level: logLevel });
}

function statusLine(s: ServiceStatus): string {
  const state = s.running ? (s.healthy ? 'running' : 'unhealthy') : 'stopped';
  const parts = [s.service.padEnd(11), state.padEnd(10), (s.url ?? '-').padEnd(28)];
  if (s.pid !== undefined) parts.push(`pid ${s.pid}`);
  if (!s.managed && s.url) parts.push('(external)');
  if (s.detail && s.managed) parts.push(`(${s.detail})`);
  return parts.join(' ').trimEnd();
}

export function registerStackCommand(program: Command): void {
  const stack = program
    .command('stack')
    .description('local OpenSearch, Redis and S3 server without Docker (state and data under --dir, default .trailscope/stack)');

  stack
    .command('up')
    .description('start the local stack (idempotent) and print its endpoints as KEY=value lines')
    .option('--nodes <n>', `OpenSearch nodes, 1-${MAX_NODES} (default 1, or as already running)`, parseNodes)
    .option('--json', 'print the endpoints as one JSON object')
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = flagsOf(cmd);
      const endpoints = await stackUp({ dir: flags.dir, nodes: flags.nodes, logger: loggerFor(flags) });
      process.stdout.write(flags.json ? `${JSON.stringify(endpoints)}\n` : `${formatEndpoints(endpoints)}\n`);
    });

  stack
    .command('down')
    .description('stop the processes `stack up` started, and nothing else; data is kept')
    .option('--json', 'print {"stopped": [...]}')
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = flagsOf(cmd);
      const result = await stackDown({ dir: flags.dir, logger: loggerFor(flags) });
      if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(result.stopped.length ? `stopped: ${result.stopped.join(', ')}\n` : 'nothing to stop\n');
    });

  stack
    .command('status')
    .description('report each service of the local stack')
    .option('--json', 'print one JSON object with one entry per service')
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = flagsOf(cmd);
      const services = await stackStatus({ dir: flags.dir });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(Object.fromEntries(services.map((s) => [s.service, s])))}\n`);
      } else {
        process.stdout.write(`${services.map(statusLine).join('\n')}\n`);
      }
    });
}
