import { errorCodeOf } from '@trailscope/model';
import { stackSettingsFromEnv, totalHeapMb } from './stack-settings';

describe('stackSettingsFromEnv', () => {
  it('defaults to a 1 GB heap per node, auto Redis and a cache under XDG_CACHE_HOME', () => {
    const s = stackSettingsFromEnv({ XDG_CACHE_HOME: '/c' });
    expect(s).toMatchObject({ opensearchHeap: '1g', redisMode: 'auto', javaCommand: 'java', cacheDir: '/c/trailscope' });
    expect(s.redisUrl).toBeUndefined();
  });

  it('reads the heap, REDIS_URL, JAVA_HOME and the cache directory', () => {
    const s = stackSettingsFromEnv({ TRAILSCOPE_OPENSEARCH_HEAP: '512M', REDIS_URL: 'redis://h:1', JAVA_HOME: '/jdk', TRAILSCOPE_CACHE_DIR: '/x' });
    expect(s).toMatchObject({ opensearchHeap: '512m', redisUrl: 'redis://h:1', javaCommand: '/jdk/bin/java', cacheDir: '/x' });
  });

  it('treats empty variables as unset', () => {
    expect(stackSettingsFromEnv({ REDIS_URL: '', TRAILSCOPE_OPENSEARCH_HEAP: '' }).opensearchHeap).toBe('1g');
  });

  it.each([
    ['TRAILSCOPE_OPENSEARCH_HEAP', '1.5g'],
    ['TRAILSCOPE_OPENSEARCH_HEAP', '1024'],
    ['REDIS_URL', 'http://x'],
    ['TRAILSCOPE_STACK_REDIS', 'always'],
    ['TRAILSCOPE_STACK_TIMEOUT_MS', 'soon'],
  ])('rejects %s=%s with CONFIG_INVALID naming the variable', (key, value) => {
    let caught: unknown;
    try {
      stackSettingsFromEnv({ [key]: value });
    } catch (err) {
      caught = err;
    }
    expect(errorCodeOf(caught)).toBe('CONFIG_INVALID');
    expect((caught as Error).message).toContain(key);
  });
});

describe('totalHeapMb', () => {
  it('multiplies the per-node heap by the node count', () => {
    expect(totalHeapMb('1g', 3)).toBe(3072);
    expect(totalHeapMb('512m', 1)).toBe(512);
  });
});
