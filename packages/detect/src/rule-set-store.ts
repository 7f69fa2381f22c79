import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { TrailscopeError } from '@trailscope/model';
import { errorFacts, toOpenSearchError, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { loadRuleFiles, type CompiledRule, type RefusedRule, type SkippedRule } from '@trailscope/rules';

export interface RuleFile {
  /** Path relative to the applied directory: what errors and `rules check` name. */
  path: string;
  text: string;
}

export interface StoredRuleSet {
  version: string;
  appliedAt: string;
  files: RuleFile[];
}

export interface LoadedRuleSet {
  version: string;
  appliedAt: string;
  rules: CompiledRule[];
  refused: RefusedRule[];
  skipped: SkippedRule[];
}

const CURRENT = 'current';

/** The version of a rule set: a hash of its files' paths and texts, whatever order they were read in. */
export function ruleSetVersion(files: RuleFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) h.update(`${f.path}\0${f.text}\0`);
  return h.digest('hex').slice(0, 16);
}

/**
 * Compiles stored files as one set (a correlation may name rules of another file), through the rules package's file
 * loader over a private copy of the files; a file that fails is reported in `refused` and never stops the others.
 */
export async function compileRuleSet(stored: StoredRuleSet): Promise<LoadedRuleSet> {
  const dir = await mkdtemp(join(tmpdir(), 'trailscope-rules-'));
  try {
    for (const f of stored.files) {
      const target = resolve(dir, f.path);
      // stored paths are relative and were checked on apply; refuse any that would leave the directory anyway
      if (!target.startsWith(`${dir}${sep}`)) throw new TrailscopeError('VALIDATION_FAILED', `rule set: file path "${f.path}" leaves its directory`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, f.text, 'utf8');
    }
    const loaded = await loadRuleFiles([dir]);
    const rel = (file: string) => (file.startsWith(`${dir}${sep}`) ? relative(dir, file).split(sep).join('/') : file);
    for (const r of loaded.rules) r.file = rel(r.file);
    for (const r of [...loaded.refused, ...loaded.skipped]) r.file = rel(r.file);
    return { version: stored.version, appliedAt: stored.appliedAt, rules: loaded.rules, refused: loaded.refused, skipped: loaded.skipped };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Stores `files` as the rule set live detection uses; returns the stored set. */
export async function storeRuleSet(client: OpenSearchClient, config: Pick<Config, 'names'>, files: RuleFile[], now = new Date()): Promise<StoredRuleSet> {
  const stored: StoredRuleSet = { version: ruleSetVersion(files), appliedAt: now.toISOString(), files };
  const index = config.names.rulesIndex;
  try {
    await client.index({ index, id: CURRENT, body: stored as never, refresh: true });
  } catch (err) {
    throw toOpenSearchError(err, `storing the rule set in ${index}`, { target: index });
  }
  return stored;
}

/** The applied rule set, or undefined when none was applied (or setup has not created the index). */
export async function readRuleSet(client: OpenSearchClient, config: Pick<Config, 'names'>): Promise<StoredRuleSet | undefined> {
  const index = config.names.rulesIndex;
  try {
    const res = await client.get({ index, id: CURRENT });
    const source = (res.body as { _source?: StoredRuleSet })._source;
    if (!source || typeof source.version !== 'string' || !Array.isArray(source.files)) {
      throw new TrailscopeError('INTERNAL', `${index}/${CURRENT} does not hold a rule set`);
    }
    return source;
  } catch (err) {
    if (errorFacts(err).statusCode === 404) return undefined;
    throw toOpenSearchError(err, `reading the rule set from ${index}`, { target: index });
  }
}

/**
 * The rule set as the running processes see it: read from OpenSearch at most every `refreshMs`, compiled again only
 * when its version changes. A failed read keeps the last good set (detection goes on through a blip).
 */
export class RuleSetCache {
  private loaded: LoadedRuleSet | undefined;
  private readAtMs = -Infinity;

  constructor(
    private readonly client: OpenSearchClient,
    private readonly config: Pick<Config, 'names'>,
    private readonly refreshMs = 30_000,
    private readonly onChange?: (set: LoadedRuleSet | undefined, previous: LoadedRuleSet | undefined) => void,
  ) {}

  async current(nowMs = Date.now()): Promise<LoadedRuleSet | undefined> {
    if (nowMs - this.readAtMs < this.refreshMs) return this.loaded;
    const stored = await readRuleSet(this.client, this.config);
    this.readAtMs = nowMs;
    if (stored?.version !== this.loaded?.version) {
      const previous = this.loaded;
      this.loaded = stored ? await compileRuleSet(stored) : undefined;
      this.onChange?.(this.loaded, previous);
    }
    return this.loaded;
  }
}
