import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './child-process';

/** A short hash of the built code of some packages, so caches derived from that code go stale when it changes. */
export function builtCodeHash(packages: string[]): string {
  const h = createHash('sha1');
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.js')) h.update(name).update(readFileSync(full));
    }
  };
  for (const p of packages) walk(path.join(REPO_ROOT, 'packages', p, 'dist'));
  return h.digest('hex').slice(0, 10);
}
