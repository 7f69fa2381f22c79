import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerKeysCommand(program: Command): void {
  program
    .command('keys')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'keys is not implemented yet');
    });
}
