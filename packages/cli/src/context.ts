import type { Command } from 'commander';
import { loadConfig, type Config } from '@trailscope/runtime';

/** Global options every command inherits, turned into overrides of the environment. */
export function configFrom(cmd: Command, overrides: Record<string, string | number | undefined> = {}): Config {
  const g = cmd.optsWithGlobals() as { dir?: string; namespace?: string };
  return loadConfig({ stackDir: g.dir, overrides: { TRAILSCOPE_NAMESPACE: g.namespace, ...overrides } });
}
