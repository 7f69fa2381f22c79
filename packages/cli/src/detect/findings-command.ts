import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { FINDING_LEVELS, FINDING_STATUSES, MAX_FINDINGS_PAGE, installDetectionIndices, listFindings, parseFindingsRequest, parseStatusChange, setFindingStatus, type FindingDoc } from '@trailscope/detect';
import { TrailscopeError } from '@trailscope/model';
import { UNRESTRICTED } from '@trailscope/query';
import { createOpenSearchClient } from '@trailscope/runtime';
import { configFrom } from '../context';
import { parseList, parsePositiveInt } from '../flags/value-parsers';
import { addSearchFilterOptions, searchFiltersFrom, withFlagNames } from '../search/filter-flags';
import { createLineWriter } from '../search/stdout';

/** Search filters that findings carry, and the findings request field each one sets. */
const FINDING_FILTERS: Record<string, string> = { accounts: 'accounts', regions: 'regions', from: 'from', to: 'to', users: 'principals', principalArns: 'principals', sourceIps: 'sourceIps', eventIds: 'eventIds' };
const FLAG_OF: Record<string, string> = { rules: '--rule', levels: '--level', statuses: '--status', pageSize: '--limit', principals: '--user', sourceIps: '--source-ip' };

function findingsFilters(opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(searchFiltersFrom(opts))) {
    const target = FINDING_FILTERS[field];
    if (!target) {
      throw new TrailscopeError('VALIDATION_FAILED', `${field}: not a findings filter; findings are filtered by --account, --region, --from, --to, --user or --principal-arn (principal ARN), --source-ip, --event-id, --rule, --level, --status`, { context: { field } });
    }
    out[target] = Array.isArray(out[target]) ? [...(out[target] as unknown[]), ...(value as unknown[])] : value;
  }
  return out;
}

function human(f: FindingDoc): string {
  const where = [f.account ?? '-', f.region ?? '-'].join('/');
  const count = f.eventCount > 1 ? ` (${f.eventCount} events)` : '';
  return `${f.eventTime}  ${f.id}  ${f.status.padEnd(12)}  ${f.ruleLevel.padEnd(8)}  ${f.ruleId}  ${f.ruleTitle}  ${where}  ${f.principal ?? '-'}${count}`;
}

function whoAmI(): string {
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

function addStatusCommand(findings: Command, name: 'ack' | 'close', status: 'acknowledged' | 'closed'): void {
  findings
    .command(name)
    .description(`mark a finding ${status}, with who and when`)
    .argument('<id>', 'finding id')
    .option('--by <name>', 'who (default: the current user)')
    .option('--reason <text>', 'why')
    .option('--json', 'print the updated finding')
    .action(async (id: string, opts: { by?: string; reason?: string; json?: boolean }, command: Command) => {
      const config = configFrom(command);
      // `--json` is also an option of `findings` itself, which commander lets take it
      const json = opts.json === true || (command.optsWithGlobals() as { json?: boolean }).json === true;
      const change = parseStatusChange({ status, by: opts.by ?? whoAmI(), reason: opts.reason });
      const client = createOpenSearchClient(config);
      try {
        const f = await setFindingStatus(client, config.names, id, change, UNRESTRICTED);
        process.stdout.write(json ? `${JSON.stringify(f)}\n` : `${f.id} ${f.status} by ${f.statusBy} at ${f.statusAt}\n`);
      } finally {
        await client.close();
      }
    });
}

/** `findings [filters] [--rule ID] [--level L] [--status S] [--json]`, `findings ack|close ID`. */
export function registerFindingsCommand(program: Command): void {
  const findings = program.command('findings').description('list detection findings, newest first: OR within a repeated flag, AND across flags; `findings ack|close ID` sets a status');
  addSearchFilterOptions(findings)
    .addOption(new Option('--rule <id>', 'rule id (repeatable, or comma-separated)').argParser(parseList))
    .addOption(new Option('--level <level>', `rule level: ${FINDING_LEVELS.join(', ')} (repeatable)`).argParser(parseList))
    .addOption(new Option('--status <status>', `${FINDING_STATUSES.join(', ')} (repeatable)`).argParser(parseList))
    .option('--limit <n>', 'print at most N findings', parsePositiveInt, 100)
    .option('--json', 'one finding per line as JSON')
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const config = configFrom(command);
      const client = createOpenSearchClient(config);
      const out = createLineWriter();
      try {
        await installDetectionIndices(client, config);
        let remaining = opts.limit as number;
        let cursor: string | undefined;
        let total = 0;
        const nowMs = Date.now();
        do {
          let request;
          try {
            request = parseFindingsRequest({ ...findingsFilters(opts), rules: opts.rule, levels: opts.level, statuses: opts.status, pageSize: Math.min(remaining, MAX_FINDINGS_PAGE), cursor });
          } catch (err) {
            throw withFlagNames(err, FLAG_OF);
          }
          const page = await listFindings(client, config.names, request, UNRESTRICTED, nowMs);
          total = page.total;
          for (const f of page.findings) await out.line(opts.json ? JSON.stringify(f) : human(f));
          remaining -= page.findings.length;
          cursor = page.cursor;
        } while (cursor && remaining > 0 && !out.closed);
        if (!opts.json) process.stderr.write(`${total} finding(s)\n`);
      } catch (err) {
        throw withFlagNames(err, FLAG_OF);
      } finally {
        await client.close();
      }
    });
  addStatusCommand(findings, 'ack', 'acknowledged');
  addStatusCommand(findings, 'close', 'closed');
}

/** Adds `rules backtest` and `rules apply` to the `rules` command registered before. */
export function registerRulesLiveCommands(program: Command, adders: Array<(rules: Command) => void>): void {
  const rules = program.commands.find((c) => c.name() === 'rules');
  if (!rules) throw new Error('the rules command must be registered before its backtest and apply subcommands');
  for (const add of adders) add(rules);
}
