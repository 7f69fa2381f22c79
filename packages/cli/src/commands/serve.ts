import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'serve is not implemented yet');
    });
}
