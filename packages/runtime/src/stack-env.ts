import * as fs from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_STACK_DIR = '.trailscope/stack';
export const STACK_ENV_FILE = 'stack.env';

/** The stack directory: `--dir`, else TRAILSCOPE_STACK_DIR, else `.trailscope/stack` under the working directory. */
export function resolveStackDir(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(dir ?? env.TRAILSCOPE_STACK_DIR ?? DEFAULT_STACK_DIR);
}

/** Reads `KEY=value` lines; blank lines and `#` comments are ignored. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq <= 0) continue;
    out[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
  }
  return out;
}

export function readStackEnv(stackDir: string): Record<string, string> {
  const file = path.join(stackDir, STACK_ENV_FILE);
  try {
    return parseEnvFile(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}
