import { assertNamespace, indexNameFor, indexPeriodStart, namesFor, queueNameFor } from './names';

describe('names', () => {
  it('derives every name from the namespace, all distinct', () => {
    const n = namesFor('prod');
    expect(n.eventIndexPattern).toBe('prod-events-*');
    expect(n.redisPrefix).toBe('prod:');
    const values = Object.entries(n).filter(([k]) => k !== 'namespace' && k !== 'redisHashTags').map(([, v]) => String(v));
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) expect(v.startsWith('prod')).toBe(true);
  });

  it('wraps queue names and the state prefix in hash tags for a Redis Cluster, and only there', () => {
    const single = namesFor('prod');
    expect([single.redisHashTags, single.ingestQueue, queueNameFor(single, 'alerts-ops')]).toEqual([false, 'prod-ingest', 'prod-alerts-ops']);
    const cluster = namesFor('prod', { redisHashTags: true });
    expect([cluster.redisHashTags, cluster.ingestQueue, cluster.redisPrefix, queueNameFor(cluster, 'alerts-ops')]).toEqual([true, '{prod-ingest}', '{prod}:', '{prod-alerts-ops}']);
    // OpenSearch names are the same either way
    expect(cluster.eventsAlias).toBe(single.eventsAlias);
  });

  it('assertNamespace refuses names OpenSearch or Redis keys cannot carry', () => {
    for (const ok of ['a', 'team_a-1', 'x'.repeat(40)]) expect(assertNamespace(ok)).toBe(ok);
    for (const bad of ['', 'A', '1a', '-a', 'a b', 'a*', 'x'.repeat(41)]) expect(() => assertNamespace(bad)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('indexNameFor picks the UTC day or month of eventTime', () => {
    expect(indexNameFor('2026-03-01T23:59:59.999Z', 'ns')).toBe('ns-events-2026.03.01');
    expect(indexNameFor('2026-03-01T23:30:00-01:00', 'ns')).toBe('ns-events-2026.03.02');
    expect(indexNameFor(new Date(Date.UTC(2026, 11, 31)), 'ns', 'month')).toBe('ns-events-2026.12');
    expect(() => indexNameFor('yesterday', 'ns')).toThrow(expect.objectContaining({ code: 'RECORD_INVALID' }));
  });

  it('indexPeriodStart reads back the start of an index period, and only for this namespace', () => {
    expect(indexPeriodStart('ns-events-2026.03.02', 'ns')).toEqual(new Date('2026-03-02T00:00:00Z'));
    expect(indexPeriodStart('ns-events-2026.03', 'ns')).toEqual(new Date('2026-03-01T00:00:00Z'));
    for (const name of ['other-events-2026.03.02', 'ns-events-2026', 'ns-deadletter', 'ns-events-2026.03.02-x']) expect(indexPeriodStart(name, 'ns')).toBeUndefined();
  });
});
