import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'setup is not implemented yet');
    });
}
