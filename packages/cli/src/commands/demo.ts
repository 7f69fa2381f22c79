import type { Command } from 'commander';
import { TrailscopeError } from '@trailscope/model';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('not yet available')
    .action(() => {
      throw new TrailscopeError('INTERNAL', 'demo is not implemented yet');
    });
}
