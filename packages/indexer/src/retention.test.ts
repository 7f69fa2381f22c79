import { namesFor } from '@trailscope/model';
import { expiredIndices, indexPeriodEnd, retentionPolicyBody } from './retention';

const config = (retentionDays: number, period: 'day' | 'month' = 'day') => ({
  namespace: 'ns',
  names: namesFor('ns'),
  index: { period, retentionDays, shards: 1, replicas: 0 },
});

describe('retention', () => {
  it('computes the end of the period an index covers', () => {
    expect(indexPeriodEnd('ns-events-2026.03.01', 'ns')?.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(indexPeriodEnd('ns-events-2026.12', 'ns')?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(indexPeriodEnd('ns-events-2026.03.31', 'ns')?.toISOString()).toBe('2026-04-01T00:00:00.000Z');
    expect(indexPeriodEnd('other-events-2026.03.01', 'ns')).toBeUndefined();
    expect(indexPeriodEnd('ns-events-bootstrap', 'ns')).toBeUndefined();
  });

  it('expires only indices whose whole period ended more than retentionDays ago', () => {
    const names = ['ns-events-2026.02.27', 'ns-events-2026.02.28', 'ns-events-2026.03.01', 'ns-deadletter', 'ns-events-x'];
    const now = new Date('2026-03-31T12:00:00Z');
    // cutoff 2026-03-01T12:00Z: the 28th ended at 03-01T00:00 (expired), the 1st ends 03-02 (kept)
    expect(expiredIndices(names, config(30), now)).toEqual(['ns-events-2026.02.27', 'ns-events-2026.02.28']);
    expect(expiredIndices(names, config(0), now)).toEqual([]);
    expect(expiredIndices(['ns-events-2026.01', 'ns-events-2026.02'], config(30, 'month'), new Date('2026-03-30T00:00:00Z'))).toEqual(['ns-events-2026.01']);
    // after a change of period each index keeps the period of its name: March under `day` lives until April + 30 days
    expect(expiredIndices(['ns-events-2026.03', 'ns-events-2026.04.01'], config(30, 'day'), new Date('2026-04-30T12:00:00Z'))).toEqual([]);
    expect(expiredIndices(['ns-events-2026.03', 'ns-events-2026.03.31'], config(30, 'month'), new Date('2026-05-01T12:00:00Z'))).toEqual(['ns-events-2026.03', 'ns-events-2026.03.31']);
  });

  it('builds an ISM policy deleting the namespace indices after retentionDays', () => {
    const body = retentionPolicyBody(config(90)) as { policy: { states: Array<{ name: string; transitions: unknown[] }>; ism_template: Array<{ index_patterns: string[] }> } };
    expect(body.policy.states[0]?.transitions).toEqual([{ state_name: 'delete', conditions: { min_index_age: '90d' } }]);
    expect(body.policy.ism_template[0]?.index_patterns).toEqual(['ns-events-*']);
  });
});
