import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerFailedCommand(program: Command): void {
  program
    .command('failed')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'failed is not implemented yet');
    });
}
