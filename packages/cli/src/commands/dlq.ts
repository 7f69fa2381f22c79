import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerDlqCommand(program: Command): void {
  program
    .command('dlq')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'dlq is not implemented yet');
    });
}
