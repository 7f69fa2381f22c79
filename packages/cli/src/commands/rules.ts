import type { Command } from 'commander';
import { evaluateOffline, loadRuleFiles, type RuleLoadResult, type RuleMatch } from '@trailscope/rules';
import { parseLogKey, TrailscopeError } from '@trailscope/model';
import { readEvents, type OfflineEvent, type ReadProblem } from '../rules/read-events';
import { createLineWriter, type LineWriter } from '../search/stdout';
import { addRulesStatsCommand } from './alerts';

/**
 * The machine-readable match line shared by `rules test` and `rules backtest`. Correlation and new-terms matches
 * add the group key, and correlations the event count and the (capped) event ids; `eventId` is the first of them.
 */
export function matchLine(m: RuleMatch): Record<string, unknown> {
  const line: Record<string, unknown> = { ruleId: m.ruleId, eventId: m.eventIds[0], eventTime: m.eventTime, account: m.account, region: m.region };
  if (m.groupKey !== undefined) line.groupKey = m.groupKey;
  if (m.count !== undefined) {
    line.count = m.count;
    line.eventIds = m.eventIds;
    line.windowStart = m.windowStart;
    line.windowEnd = m.windowEnd;
  }
  return line;
}

function where(file: string, line?: number): string {
  return line === undefined ? file : `${file}:${line}`;
}

/** Refused rules on stderr (file:line and reason), so that match output on stdout stays machine-readable. */
function reportRefusedOnStderr(loaded: RuleLoadResult): void {
  for (const r of loaded.refused) process.stderr.write(`trailscope: rule refused: ${where(r.file, r.line)}: ${r.reason}\n`);
}

async function printCheck(out: LineWriter, loaded: RuleLoadResult, json: boolean): Promise<void> {
  for (const r of loaded.rules) {
    if (json) await out.line(JSON.stringify({ file: r.file, line: r.line, id: r.id, title: r.title, kind: r.kind, status: 'ok' }));
    else await out.line(`ok       ${where(r.file, r.line)}  ${r.id}  ${r.title}`);
  }
  for (const r of loaded.skipped) {
    if (json) await out.line(JSON.stringify({ file: r.file, line: r.line, id: r.id, title: r.title, status: 'skipped', reason: r.reason }));
    else await out.line(`skipped  ${where(r.file, r.line)}  ${r.id ?? ''}  ${r.reason}`);
  }
  for (const r of loaded.refused) {
    if (json) await out.line(JSON.stringify({ file: r.file, line: r.line, id: r.id, title: r.title, status: 'refused', reason: r.reason }));
    else await out.line(`refused  ${where(r.file, r.line)}  ${r.id ?? ''}  ${r.reason}`);
  }
  if (!json) await out.line(`${loaded.rules.length} loaded, ${loaded.refused.length} refused, ${loaded.skipped.length} skipped (not aws/cloudtrail)`);
}

function addCheckCommand(rules: Command): void {
  rules
    .command('check')
    .description('load rule files or directories and report every rule: ok, refused (file:line and why) or skipped')
    .argument('<paths...>', 'rule files or directories (.yml/.yaml, walked recursively)')
    .option('--json', 'one line per rule: {"file","line","id","title","status":"ok"|"refused"|"skipped","reason"?}')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const loaded = await loadRuleFiles(paths);
      await printCheck(createLineWriter(), loaded, opts.json === true);
      if (loaded.refused.length > 0) process.exitCode = 1;
    });
}

function addTestCommand(rules: Command): void {
  rules
    .command('test')
    .description('run rules over an events file with no services: NDJSON records, {"Records": [...]} or a CloudTrail .json.gz')
    .argument('<paths...>', 'rule files or directories')
    .requiredOption('--events <file>', 'events file')
    .option('--key <s3-key>', 'the S3 key the events were delivered under (AWSLogs/<account>/CloudTrail/<region>/...): its account and region stand for records without recipientAccountId or awsRegion, as when indexed; default the events file path')
    .option('--json', 'one line per match {"ruleId","eventId","eventTime","account","region"}, then {"summary":{...}}')
    .action(async (paths: string[], opts: { events: string; key?: string; json?: boolean }) => {
      if (opts.key !== undefined && parseLogKey(opts.key).account === undefined) {
        throw new TrailscopeError('USAGE', `--key "${opts.key}" is not a CloudTrail log key (.../AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>)`, {
          context: { flag: '--key', value: opts.key },
        });
      }
      const loaded = await loadRuleFiles(paths);
      reportRefusedOnStderr(loaded);
      const out = createLineWriter();
      const problems: ReadProblem[] = [];
      const metas = new WeakMap<object, OfflineEvent['meta']>();
      async function* records(): AsyncGenerator<unknown> {
        for await (const ev of readEvents(opts.events, problems, { key: opts.key })) {
          // Records are JSON objects here (normalize refused anything else), so they can key the WeakMap.
          metas.set(ev.record as object, ev.meta);
          yield ev.record;
        }
      }
      let matches = 0;
      let ruleErrors = 0;
      const stream = evaluateOffline(loaded.rules, records(), {
        eventMeta: (record, i) => metas.get(record as object) ?? { eventId: `record-${i + 1}`, eventTime: '' },
        onRuleError: (ruleId, eventId, err) => {
          ruleErrors++;
          process.stderr.write(`trailscope: rule ${ruleId} failed on event ${eventId}: ${(err as Error).message}\n`);
        },
      });
      for await (const m of stream) {
        matches++;
        if (opts.json) await out.line(JSON.stringify(matchLine(m)));
        else await out.line(`${m.eventTime}  ${m.ruleId}  ${m.eventIds[0] ?? ''}${m.count !== undefined ? `  (${m.count} events, group ${m.groupKey})` : m.groupKey !== undefined ? `  new ${m.groupKey}` : ''}`);
      }
      for (const p of problems) process.stderr.write(`trailscope: event skipped: ${p.where}: ${p.reason}\n`);
      const summary = { rules: loaded.rules.length, refused: loaded.refused.length, matches, skippedEvents: problems.length };
      if (opts.json) await out.line(JSON.stringify({ summary }));
      else await out.line(`${matches} match${matches === 1 ? '' : 'es'} from ${loaded.rules.length} rules (${loaded.refused.length} refused, ${problems.length} events skipped)`);
      if (loaded.refused.length > 0 || problems.length > 0 || ruleErrors > 0) process.exitCode = 1;
    });
}

/**
 * Subcommands of `trailscope rules`, one registrar each: the offline ones here, and those that talk to the
 * services (backtest, apply) beside them.
 */
export const RULES_SUBCOMMANDS: Array<(rules: Command) => void> = [addCheckCommand, addTestCommand, addRulesStatsCommand];

export function registerRulesCommand(program: Command): void {
  const rules = program.command('rules').description('Sigma detection rules: check, test offline');
  for (const add of RULES_SUBCOMMANDS) add(rules);
}

