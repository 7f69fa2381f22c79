import { Command, CommanderError } from 'commander';
import { ERROR_CODES, errorCodeOf, errorMessageOf } from '@trailscope/model';
import { COMMANDS } from './commands';

export function buildProgram(): Command {
  const program = new Command('trailscope')
    .description('Search engine for AWS CloudTrail logs: ingest from S3, index into OpenSearch, query everywhere')
    .option('--dir <dir>', 'local stack directory whose stack.env supplies endpoints not set in the environment')
    .option('--namespace <ns>', 'isolates deployments sharing OpenSearch and Redis (env TRAILSCOPE_NAMESPACE)')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 runtime failure, 2 usage, 78 configuration. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return 2;
    }
    const code = errorCodeOf(err);
    process.stderr.write(`trailscope: error [${code}]: ${errorMessageOf(err)}\n`);
    if (code === 'INTERNAL' && err instanceof Error && err.stack && process.env.TRAILSCOPE_DEBUG) {
      process.stderr.write(`${err.stack}\n`);
    }
    return ERROR_CODES[code].exitCode;
  }
}
