import { errorCodeOf } from '@trailscope/model';
import { loadConfig } from './config';

const load = (env: Record<string, string>) => loadConfig({ env, stackDir: '/nonexistent/trailscope-stack' });

function failureOf(fn: () => unknown): { code: string; message: string; variable?: unknown } {
  try {
    fn();
  } catch (err) {
    return { code: errorCodeOf(err), message: (err as Error).message, variable: (err as { context?: { variable?: unknown } }).context?.variable };
  }
  throw new Error('expected a failure');
}

describe('loadConfig namespace', () => {
  it.each(['a-events-b', 'prod-events', 'x-events-', 'a-events-events'])('refuses %s, whose indices would match another namespace\'s patterns', (ns) => {
    const f = failureOf(() => load({ TRAILSCOPE_NAMESPACE: ns }));
    expect(f.code).toBe('CONFIG_INVALID');
    expect(f.message).toMatch(/^TRAILSCOPE_NAMESPACE /);
    expect(f.message).toContain('-events');
    expect(f.variable).toBe('TRAILSCOPE_NAMESPACE');
  });

  it.each(['trailscope', 'prod-eventsource', 'events', 'team-a', 'events-x'])('accepts %s', (ns) => {
    expect(load({ TRAILSCOPE_NAMESPACE: ns }).names.eventIndexPrefix).toBe(`${ns}-events-`);
  });

  it('reads the cap on open points in time per API key', () => {
    expect(load({}).api.maxPitsPerKey).toBe(10);
    expect(load({ TRAILSCOPE_API_MAX_PITS_PER_KEY: '3' }).api.maxPitsPerKey).toBe(3);
    expect(failureOf(() => load({ TRAILSCOPE_API_MAX_PITS_PER_KEY: '0' })).message).toMatch(/TRAILSCOPE_API_MAX_PITS_PER_KEY must be at least 1/);
  });
});

describe('loadConfig REDIS_CLUSTER_NODES', () => {
  it('selects a Redis Cluster from a host:port list and hash-tags the Redis names', () => {
    const c = load({ REDIS_CLUSTER_NODES: 'redis-1:7000, 10.0.0.2:7001,[::1]:7002', TRAILSCOPE_NAMESPACE: 'prod' });
    expect(c.redis.clusterNodes).toEqual([
      { host: 'redis-1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect([c.names.ingestQueue, c.names.redisPrefix]).toEqual(['{prod-ingest}', '{prod}:']);
  });

  it('keeps a single Redis and plain names without it', () => {
    const c = load({ TRAILSCOPE_NAMESPACE: 'prod' });
    expect(c.redis.clusterNodes).toBeUndefined();
    expect([c.names.ingestQueue, c.names.redisPrefix]).toEqual(['prod-ingest', 'prod:']);
  });

  it.each(['redis-1', 'redis-1:', 'redis://redis-1:6379', 'redis-1:70000', 'a:1,,b:2'])('refuses %s, naming the item', (value) => {
    const f = failureOf(() => load({ REDIS_CLUSTER_NODES: value }));
    expect(f.code).toBe('CONFIG_INVALID');
    expect(f.variable).toBe('REDIS_CLUSTER_NODES');
    expect(f.message).toMatch(/^invalid REDIS_CLUSTER_NODES: ".*" is not host:port/);
  });
});
