import type { NewTermsRule } from '@trailscope/rules';
import { TermStore, TermStoreConflict } from '../../packages/detect/src/live/term-store';
import { createScope, type TestScope } from '../ingest/support/services';

const rule = (version: string) => ({ id: 'rule-nt', version, historyMs: 1000 }) as unknown as NewTermsRule;
const run = (t: number, id: string) => ({ first: { t, id }, last: { t, id } });

describe('new-terms term store in Redis', () => {
  let scope: TestScope;
  let store: TermStore;

  beforeAll(async () => {
    scope = await createScope('t-terms');
    store = new TermStore(scope.redis, scope.config.names.redisPrefix);
  });

  afterAll(async () => {
    await scope?.close();
  });

  it('is not written before it is built, and holds what was built', async () => {
    const v1 = rule('v1');
    expect(await store.isBuilt(v1)).toBe(false);
    await expect(store.write(v1, [{ term: '["a"]', read: '', runs: [run(1, 'e1')] }])).rejects.toThrow(TermStoreConflict);
    expect(await scope.redis.exists(store.keyOf(v1))).toBe(0);
    await store.build(v1, new Map([['["a"]', [run(1, 'e1')]]]));
    expect(await store.isBuilt(v1)).toBe(true);
    const read = await store.read(v1, ['["a"]', '["b"]']);
    expect(read.get('["a"]')?.runs).toEqual([run(1, 'e1')]);
    expect(read.get('["b"]')).toEqual({ read: '', runs: [] });
  });

  it('refuses a write whose terms changed since they were read, and writes nothing of it', async () => {
    const v1 = rule('v1');
    const first = await store.read(v1, ['["a"]', '["b"]']);
    const second = await store.read(v1, ['["a"]', '["b"]']);
    await store.write(v1, [{ term: '["b"]', read: first.get('["b"]')?.read ?? '', runs: [run(5, 'e5')] }]);
    // a second detector that read before the first one wrote
    const stale = [
      { term: '["a"]', read: second.get('["a"]')?.read ?? '', runs: [run(0, 'e0')] },
      { term: '["b"]', read: second.get('["b"]')?.read ?? '', runs: [run(6, 'e6')] },
    ];
    await expect(store.write(v1, stale)).rejects.toThrow(/changed during this detection pass/);
    const now = await store.read(v1, ['["a"]', '["b"]']);
    expect(now.get('["a"]')?.runs).toEqual([run(1, 'e1')]);
    expect(now.get('["b"]')?.runs).toEqual([run(5, 'e5')]);
  });

  it('keeps only the stores of the rule versions applied', async () => {
    const v1 = rule('v1');
    const v2 = rule('v2');
    await store.build(v2, new Map());
    await store.retainOnly([v2]);
    expect(await store.isBuilt(v1)).toBe(false);
    expect(await store.isBuilt(v2)).toBe(true);
  });

  it('names the store and the term when a stored value is not runs', async () => {
    const v2 = rule('v2');
    await scope.redis.hset(store.keyOf(v2), '["x"]', '{');
    await expect(store.read(v2, ['["x"]'])).rejects.toThrow(`new-terms store ${store.keyOf(v2)}, term ["x"]: not JSON`);
  });
});
