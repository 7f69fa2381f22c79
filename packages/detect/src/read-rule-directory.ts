import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { TrailscopeError } from '@trailscope/model';
import { MAX_RULE_FILE_BYTES } from '@trailscope/rules';
import type { RuleFile } from './rule-set-store';

/** A rule set has at most this many files: it is stored as one document. */
export const MAX_RULE_SET_FILES = 5000;

/**
 * The .yml/.yaml files under `dir` (recursively, sorted) with paths relative to it: what `rules apply` stores. A file
 * over the rules package's size limit is refused here, naming it, before anything is read whole.
 */
export async function readRuleDirectory(dir: string): Promise<RuleFile[]> {
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    throw new TrailscopeError('USAGE', `${dir}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { context: { path: dir } });
  }
  if (!st.isDirectory()) throw new TrailscopeError('USAGE', `${dir}: not a directory (rules apply takes the directory of the whole rule set)`, { context: { path: dir } });
  const paths: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && /\.ya?ml$/i.test(e.name)) paths.push(p);
      if (paths.length > MAX_RULE_SET_FILES) throw new TrailscopeError('USAGE', `${dir}: more than ${MAX_RULE_SET_FILES} rule files`, { context: { path: dir } });
    }
  };
  await walk(dir);
  const files: RuleFile[] = [];
  for (const p of paths) {
    const size = (await stat(p)).size;
    if (size > MAX_RULE_FILE_BYTES) {
      throw new TrailscopeError('VALIDATION_FAILED', `${p}: rule file is ${size} bytes, over the limit of ${MAX_RULE_FILE_BYTES}`, { context: { file: p } });
    }
    files.push({ path: relative(dir, p).split(sep).join('/'), text: await readFile(p, 'utf8') });
  }
  return files;
}
