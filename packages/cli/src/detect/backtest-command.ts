import type { Command } from 'commander';
import { installDetectionIndices, runBacktest, withEventFacts, writeFindings, type FindingDoc, type FindingWrite } from '@trailscope/detect';
import { UNRESTRICTED, parseSearchRequest, toDsl } from '@trailscope/query';
import { AlertPlanner, loadAlerts } from '@trailscope/alerts';
import { TrailscopeError } from '@trailscope/model';
import { createOpenSearchClient, createRedis, type Redis } from '@trailscope/runtime';
import { loadRuleFiles, type RuleMatch } from '@trailscope/rules';
import { configFrom } from '../context';
import { addSearchFilterOptions, searchFiltersFrom, withFlagNames } from '../search/filter-flags';
import { createLineWriter } from '../search/stdout';
import { matchLine } from '../commands/rules';

const RECORD_BATCH = 500;

function humanLine(m: RuleMatch): string {
  const extra = m.count !== undefined ? `  (${m.count} events, group ${m.groupKey})` : m.groupKey !== undefined ? `  new ${m.groupKey}` : '';
  return `${m.eventTime}  ${m.ruleId}  ${m.eventIds[0] ?? ''}  ${m.account ?? '-'}  ${m.region ?? '-'}${extra}`;
}

/** `rules backtest PATH... [search filters] [--json] [--record]`: rules over events already indexed. */
export function addBacktestCommand(rules: Command): void {
  const cmd = rules
    .command('backtest')
    .description('run rules over events already indexed (search filters select them) and report every match, without alerting; --record writes them as findings')
    .argument('<paths...>', 'rule files or directories (.yml/.yaml, walked recursively)');
  addSearchFilterOptions(cmd)
    .option('--json', 'one line per match {"ruleId","eventId","eventTime","account","region"}, then {"summary":{"rules","refused","matches"}}')
    .option('--record', 'also write the matches as findings (source "backtest"; ids as live detection would give them)')
    .option('--alert', 'with --record: apply the alerts configuration to the new findings (exceptions, routes, throttles) and queue their alerts')
    .action(async (paths: string[], opts: Record<string, unknown>, command: Command) => {
      const config = configFrom(command);
      const loaded = await loadRuleFiles(paths);
      for (const r of loaded.refused) process.stderr.write(`trailscope: rule refused: ${r.line === undefined ? r.file : `${r.file}:${r.line}`}: ${r.reason}\n`);
      let filter: object;
      try {
        const request = parseSearchRequest(searchFiltersFrom(opts));
        filter = toDsl(request, UNRESTRICTED, { nowMs: Date.now() });
      } catch (err) {
        throw withFlagNames(err);
      }
      const client = createOpenSearchClient(config);
      const out = createLineWriter();
      const json = opts.json === true;
      const record = opts.record === true;
      const alert = opts.alert === true;
      if (alert && !record) throw new TrailscopeError('USAGE', '--alert: needs --record (alerts are sent for the findings recorded)');
      let redis: Redis | undefined;
      let planner: AlertPlanner | undefined;
      const alerts = alert ? await loadAlerts(client, config.names, { file: config.alerts.file, serverKey: config.api.serverKey }) : undefined;
      if (alert && !alerts) throw new TrailscopeError('CONFIG_INVALID', '--alert: no alerts configuration (run `trailscope alerts apply FILE` or set TRAILSCOPE_ALERTS_FILE)');
      if (alerts) {
        redis = createRedis(config);
        planner = new AlertPlanner({ opensearch: client, redis, names: config.names }, redis);
      }
      let queued = 0;
      let pending: FindingDoc[] = [];
      let recorded = 0;
      const flush = async () => {
        if (pending.length === 0) return;
        let docs = await withEventFacts(client, config.names, pending);
        if (planner && alerts) {
          const plan = await planner.plan(alerts, docs, new Date());
          docs = docs.filter((d) => !plan.excepted.has(d.id));
          await plan.enqueue();
          queued += plan.queued;
        }
        const writes = docs.map((doc): FindingWrite => (doc.ruleKind === 'correlation' ? { op: 'upsert', doc, refresh: { eventIds: doc.eventIds, eventCount: doc.eventCount, lastSeen: doc.lastSeen } } : { op: 'create', doc }));
        const r = await writeFindings(client, config, writes);
        recorded += r.created;
        pending = [];
      };
      try {
        if (record) await installDetectionIndices(client, config);
        const { matches } = await runBacktest(client, config.names, loaded.rules, filter, {
          onMatch: async (m, finding) => {
            await out.line(json ? JSON.stringify(matchLine(m)) : humanLine(m));
            if (!record) return;
            pending.push(finding);
            if (pending.length >= RECORD_BATCH) await flush();
          },
        });
        await flush();
        const summary: Record<string, number> = { rules: loaded.rules.length, refused: loaded.refused.length, matches };
        if (record) summary.recorded = recorded;
        if (alert) summary.alertsQueued = queued;
        if (json) await out.line(JSON.stringify({ summary }));
        else await out.line(`${matches} match${matches === 1 ? '' : 'es'} from ${loaded.rules.length} rules (${loaded.refused.length} refused)${record ? `; ${recorded} new findings recorded` : ''}`);
        if (loaded.refused.length > 0) process.exitCode = 1;
      } finally {
        await planner?.close();
        redis?.disconnect();
        await client.close();
      }
    });
}
