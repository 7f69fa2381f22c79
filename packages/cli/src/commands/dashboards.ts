import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerDashboardsCommand(program: Command): void {
  program
    .command('dashboards')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'dashboards is not implemented yet');
    });
}
