import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerPollCommand(program: Command): void {
  program
    .command('poll')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'poll is not implemented yet');
    });
}
