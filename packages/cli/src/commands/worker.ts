import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'worker is not implemented yet');
    });
}
