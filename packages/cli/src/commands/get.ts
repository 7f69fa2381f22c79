import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerGetCommand(program: Command): void {
  program
    .command('get')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'get is not implemented yet');
    });
}
