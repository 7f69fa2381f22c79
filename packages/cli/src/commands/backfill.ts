import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerBackfillCommand(program: Command): void {
  program
    .command('backfill')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'backfill is not implemented yet');
    });
}
