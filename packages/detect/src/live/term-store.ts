import { TrailscopeError } from '@trailscope/model';
import type { NewTermsRule } from '@trailscope/rules';
import type { Redis } from '@trailscope/runtime';
import { decodeRuns, encodeRuns, type TermRun } from './term-runs';

/** The hash field that marks a store as complete (term fields are JSON arrays, so they never collide with it). */
const BUILT = 'built';
const FIELDS_PER_CALL = 500;

// KEYS: store. ARGV: triples (field, value read or '' when absent, new value). Writes all of them only when the store
// is still complete and every field still holds what was read: 1 written, 0 changed meanwhile, -1 not complete.
const COMPARE_AND_SET = `
if redis.call('HEXISTS', KEYS[1], '${BUILT}') == 0 then return -1 end
for i = 1, #ARGV, 3 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur == false then cur = '' end
  if cur ~= ARGV[i + 1] then return 0 end
end
for i = 1, #ARGV, 3 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2]) end
return 1`;

/** Another detector changed the store between this pass's read and its write: the pass is repeated. */
export class TermStoreConflict extends Error {
  override readonly name = 'TermStoreConflict';
}

export interface TermState {
  /** The stored text ('' when the term was never seen), compared when writing. */
  read: string;
  runs: TermRun[];
}

/**
 * The runs of every term of a new-terms rule version (term-runs.ts), in one Redis hash per rule version: a pass
 * looks up only the terms of its new events instead of reading their history from the index. The hash is built from
 * the index the first time a rule version runs (or whenever it is gone: Redis restarted without persistence), and
 * then kept by the passes; writes compare what they read, so two detectors for a moment never lose an update.
 */
export class TermStore {
  private readonly registry: string;

  constructor(
    private readonly redis: Redis,
    private readonly redisPrefix: string,
  ) {
    this.registry = `${redisPrefix}detect:terms`;
  }

  keyOf(rule: Pick<NewTermsRule, 'id' | 'version'>): string {
    return `${this.redisPrefix}detect:terms:${rule.id}:${rule.version}`;
  }

  private async call<T>(what: string, key: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw new TrailscopeError('REDIS_UNAVAILABLE', `${what} the new-terms store ${key}: ${err instanceof Error ? err.message : String(err)}`, { cause: err, context: { key } });
    }
  }

  async isBuilt(rule: NewTermsRule): Promise<boolean> {
    const key = this.keyOf(rule);
    return (await this.call('reading', key, () => this.redis.hexists(key, BUILT))) === 1;
  }

  /** Replaces the store of `rule` with these runs, then marks it complete. */
  async build(rule: NewTermsRule, terms: Map<string, TermRun[]>): Promise<void> {
    const key = this.keyOf(rule);
    await this.call('building', key, async () => {
      await this.redis.del(key);
      let args: string[] = [];
      for (const [term, runs] of terms) {
        args.push(term, encodeRuns(runs));
        if (args.length >= 2 * FIELDS_PER_CALL) {
          await this.redis.hset(key, ...args);
          args = [];
        }
      }
      if (args.length > 0) await this.redis.hset(key, ...args);
      await this.redis.hset(key, BUILT, String(Date.now()));
      await this.redis.sadd(this.registry, key);
    });
  }

  async read(rule: NewTermsRule, terms: string[]): Promise<Map<string, TermState>> {
    const key = this.keyOf(rule);
    const out = new Map<string, TermState>();
    for (let i = 0; i < terms.length; i += FIELDS_PER_CALL) {
      const chunk = terms.slice(i, i + FIELDS_PER_CALL);
      const values = await this.call('reading', key, () => this.redis.hmget(key, ...chunk));
      chunk.forEach((term, j) => {
        const text = values[j] ?? null;
        out.set(term, { read: text ?? '', runs: text === null ? [] : decodeRuns(text, `new-terms store ${key}, term ${term}`) });
      });
    }
    return out;
  }

  /** Stores the runs of these terms, provided each still holds what `read` returned. */
  async write(rule: NewTermsRule, changes: Array<{ term: string; read: string; runs: TermRun[] }>): Promise<void> {
    const key = this.keyOf(rule);
    for (let i = 0; i < changes.length; i += FIELDS_PER_CALL) {
      const args = changes.slice(i, i + FIELDS_PER_CALL).flatMap((c) => [c.term, c.read, encodeRuns(c.runs)]);
      const res = await this.call('writing', key, () => this.redis.eval(COMPARE_AND_SET, 1, key, ...args));
      if (res === 0) throw new TermStoreConflict(`new-terms store ${key} changed during this detection pass (another detector); the pass is repeated`);
      if (res !== 1) throw new TermStoreConflict(`new-terms store ${key} disappeared during this detection pass; it is built again`);
    }
  }

  /** Deletes the stores of rule versions no longer applied. */
  async retainOnly(rules: NewTermsRule[]): Promise<void> {
    const keep = new Set(rules.map((r) => this.keyOf(r)));
    const held = await this.call('listing', this.registry, () => this.redis.smembers(this.registry));
    for (const key of held) {
      if (keep.has(key)) continue;
      await this.call('deleting', key, async () => {
        await this.redis.del(key);
        await this.redis.srem(this.registry, key);
      });
    }
  }
}
