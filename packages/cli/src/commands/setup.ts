import type { Command } from 'commander';
import { applyRetention, installTemplates, measureShardSizing, type SetupReport, type ShardSizing } from '@trailscope/indexer';
import { applyFindingsRetention, installDetectionIndices } from '@trailscope/detect';
import { createOpenSearchClient } from '@trailscope/runtime';
import { configFrom } from '../context';
import { TrailscopeError } from '@trailscope/model';

function retentionDays(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new TrailscopeError('USAGE', `--retention-days "${value}" must be a whole number of days (0 keeps everything)`, {
      context: { flag: '--retention-days', value },
    });
  }
  return n;
}

/** What setup did: the installation, the detection indices, then the expired event indices and findings it deleted. */
type DetectionSetupReport = Awaited<ReturnType<typeof installDetectionIndices>>;
type SetupResult = SetupReport & {
  detection: DetectionSetupReport;
  retention: SetupReport['retention'] & { deletedIndices: string[]; deletedFindings: number };
  shardSizing: ShardSizing;
};

function describe(report: SetupResult): string[] {
  const t = report.eventTemplate;
  const lines = [
    `index template ${t.name} (version ${t.version}) installed for ${t.indexPattern}, read alias ${t.alias}`,
    `dead-letter index ${report.deadLetterIndex.name} ${report.deadLetterIndex.created ? 'created' : 'already present'}`,
    `event-id index ${report.eventIdIndex.name} ${report.eventIdIndex.created ? 'created' : 'already present'}`,
    ...(report.eventIdIndex.storedEvents.ran
      ? [
          `claimed the ids of ${report.eventIdIndex.storedEvents.claimed} events already stored${report.eventIdIndex.storedEvents.storedTwice > 0 ? `; ${report.eventIdIndex.storedEvents.storedTwice} documents repeat an id stored before ids were claimed` : ''}`,
        ]
      : []),
    `conflicts index ${report.conflictsIndex.name} ${report.conflictsIndex.created ? 'created' : 'already present'}`,
    `file ledger ${report.filesIndex.name} ${report.filesIndex.created ? 'created' : 'already present'}`,
    `index template ${report.detection.findingsTemplate.name} (version ${report.detection.findingsTemplate.version}) installed for findings`,
    `findings index ${report.detection.findingsIndex.name} ${report.detection.findingsIndex.created ? 'created' : 'already present'}`,
    `rule-set index ${report.detection.rulesIndex.name} ${report.detection.rulesIndex.created ? 'created' : 'already present'}`,
  ];
  const r = report.retention;
  if (r.mode === 'disabled') {
    lines.push('retention disabled (TRAILSCOPE_RETENTION_DAYS=0): events are kept forever');
  } else if (r.mode === 'ism') {
    lines.push(`retention: ISM policy ${r.ismPolicy?.name ?? ''} ${r.ismPolicy?.result ?? ''}, deleting event indices ${r.retentionDays} days after creation`);
  } else {
    lines.push(`retention: ${r.retentionDays} days by event time; no ISM plugin, so expired indices are deleted by setup and by workers`);
  }
  if (r.mode === 'ism' && r.ismPolicy?.result === 'removed') lines.push('retention policy removed (TRAILSCOPE_RETENTION_DAYS=0)');
  if (r.mode !== 'disabled') lines.push(`retention: findings whose last event is older than ${r.retentionDays} days are deleted by setup and by the leading detector`);
  if (r.deletedIndices.length > 0) lines.push(`deleted ${r.deletedIndices.length} expired event indices: ${r.deletedIndices.join(', ')}`);
  if (r.deletedFindings > 0) lines.push(`deleted ${r.deletedFindings} findings past retention`);
  return lines;
}

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description(
      'Install the event index template (explicit mapping, settings, read alias), the dead-letter index, the findings ' +
        'template and index, the rule-set index and retention (an ISM policy when the cluster has the plugin; expired ' +
        'event indices are deleted by event-time period and expired findings by the time of their last event either way). Idempotent.',
    )
    .option('--retention-days <n>', 'delete events older than N days (env TRAILSCOPE_RETENTION_DAYS; 0 keeps everything)', retentionDays)
    .option('--json', 'print what was done as one JSON object')
    .action(async (opts: { json?: boolean; retentionDays?: number }, cmd: Command) => {
      const config = configFrom(cmd, { TRAILSCOPE_RETENTION_DAYS: opts.retentionDays });
      const client = createOpenSearchClient(config);
      try {
        const installed = await installTemplates(client, config);
        const detection = await installDetectionIndices(client, config);
        const deletedIndices = await applyRetention(client, config);
        const deletedFindings = await applyFindingsRetention(client, config);
        const shardSizing = await measureShardSizing(client, config);
        const report: SetupResult = { ...installed, detection, retention: { ...installed.retention, deletedIndices, deletedFindings }, shardSizing };
        if (shardSizing.warning) process.stderr.write(`warning: ${shardSizing.warning}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else process.stdout.write(`${describe(report).join('\n')}\n`);
      } finally {
        await client.close();
      }
    });
}
