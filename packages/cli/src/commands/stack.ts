import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerStackCommand(program: Command): void {
  program
    .command('stack')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'stack is not implemented yet');
    });
}
