import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TrailscopeError, errorMessageOf } from '@trailscope/model';
import { buildSavedObjects, toNdjson } from '@trailscope/api';
import { configFrom } from '../context';

export function registerDashboardsCommand(program: Command): void {
  const dashboards = program.command('dashboards').description('OpenSearch Dashboards saved objects');
  dashboards
    .command('export')
    .description(
      'write saved objects (index pattern over the read alias, Discover search, visualizations, dashboard) as NDJSON; import with: ' +
        'curl -X POST "http://localhost:5601/api/saved_objects/_import?overwrite=true" -H "osd-xsrf: true" --form file=@trailscope-dashboards.ndjson',
    )
    .option('--out <file>', 'write to this file instead of standard output')
    .action((flags: { out?: string }, command: Command) => {
      const config = configFrom(command);
      const ndjson = toNdjson(buildSavedObjects(config.names));
      if (!flags.out) {
        process.stdout.write(ndjson);
        return;
      }
      try {
        writeFileSync(flags.out, ndjson, 'utf8');
      } catch (err) {
        throw new TrailscopeError('USAGE', `--out: cannot write ${flags.out}: ${errorMessageOf(err)}`, { cause: err });
      }
      process.stderr.write(`wrote ${flags.out}\n`);
    });
}
