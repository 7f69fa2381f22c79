import type { Command } from 'commander';
import { compileRuleSet, installDetectionIndices, readRuleDirectory, ruleSetVersion, storeRuleSet } from '@trailscope/detect';
import { TrailscopeError } from '@trailscope/model';
import { createOpenSearchClient } from '@trailscope/runtime';
import { configFrom } from '../context';

/** `rules apply DIR`: stores the rule set live detection runs; workers pick it up within a minute. */
export function addApplyCommand(rules: Command): void {
  rules
    .command('apply')
    .description('store the rule files of DIR as the rule set of live detection (workers pick it up within a minute, no restart); nothing is stored when a rule is refused, unless --allow-refused')
    .argument('<dir>', 'directory of .yml/.yaml rule files (walked recursively)')
    .option('--allow-refused', 'store the set even when some rules are refused (they are reported and not run)')
    .option('--json', 'print {"version","files","rules","refused","skipped"}')
    .action(async (dir: string, opts: { allowRefused?: boolean; json?: boolean }, command: Command) => {
      const config = configFrom(command);
      const files = await readRuleDirectory(dir);
      if (files.length === 0) throw new TrailscopeError('USAGE', `${dir}: no .yml/.yaml rule files`, { context: { path: dir } });
      const compiled = await compileRuleSet({ version: ruleSetVersion(files), appliedAt: '', files });
      for (const r of compiled.refused) process.stderr.write(`trailscope: rule refused: ${dir}/${r.line === undefined ? r.file : `${r.file}:${r.line}`}: ${r.reason}\n`);
      if (compiled.refused.length > 0 && !opts.allowRefused) {
        throw new TrailscopeError('VALIDATION_FAILED', `${dir}: ${compiled.refused.length} rule(s) refused; nothing applied (fix them, or pass --allow-refused)`, { context: { path: dir } });
      }
      const client = createOpenSearchClient(config);
      try {
        await installDetectionIndices(client, config);
        const stored = await storeRuleSet(client, config, files);
        const report = { version: stored.version, files: files.length, rules: compiled.rules.length, refused: compiled.refused.length, skipped: compiled.skipped.length };
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else process.stdout.write(`applied rule set ${report.version}: ${report.rules} rules from ${report.files} files (${report.refused} refused, ${report.skipped} skipped)\n`);
        if (compiled.refused.length > 0) process.exitCode = 1;
      } finally {
        await client.close();
      }
    });
}
