import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerSearchCommand(program: Command): void {
  program
    .command('search')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'search is not implemented yet');
    });
}
