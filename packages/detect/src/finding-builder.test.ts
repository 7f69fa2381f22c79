import { buildFinding, principalOf, type EventFacts, type RuleFacts } from './finding-builder';
import { MAX_FINDING_EVENT_IDS } from './finding';

const rule: RuleFacts = { kind: 'correlation', id: 'r1', title: 'Burst', level: 'high', tags: ['attack.t1110'], version: 'v1' };
const now = new Date('2026-03-02T00:00:00Z');

function event(id: string, eventTime: string, over: Partial<EventFacts> = {}): EventFacts {
  return {
    id,
    eventTime,
    account: '111122223333',
    region: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', principalId: 'AIDA1' },
    ...over,
  } as EventFacts;
}

describe('buildFinding', () => {
  it('copies the rule, orders events by time then id, and spans first to last seen', () => {
    const f = buildFinding('f-1', rule, [event('e3', '2026-03-01T00:02:00Z'), event('e2', '2026-03-01T00:01:00Z'), event('e1', '2026-03-01T00:01:00Z')], {
      source: 'live',
      now,
      groupKey: 'sourceIPAddress=198.51.100.7',
      windowStart: '2026-03-01T00:00:00.000Z',
    });
    expect(f).toEqual({
      id: 'f-1',
      ruleId: 'r1',
      ruleTitle: 'Burst',
      ruleLevel: 'high',
      ruleTags: ['attack.t1110'],
      ruleVersion: 'v1',
      ruleKind: 'correlation',
      eventIds: ['e1', 'e2', 'e3'],
      eventCount: 3,
      eventTime: '2026-03-01T00:01:00Z',
      firstSeen: '2026-03-01T00:01:00Z',
      lastSeen: '2026-03-01T00:02:00Z',
      account: '111122223333',
      region: 'us-east-1',
      principal: 'arn:aws:iam::111122223333:user/alice',
      sourceIp: '198.51.100.7',
      groupKey: 'sourceIPAddress=198.51.100.7',
      windowStart: '2026-03-01T00:00:00.000Z',
      status: 'open',
      source: 'live',
      createdAt: '2026-03-02T00:00:00.000Z',
    });
  });

  it('leaves out account, region, principal and source IP when the events disagree on them', () => {
    const f = buildFinding('f-2', rule, [event('e1', '2026-03-01T00:00:00Z'), event('e2', '2026-03-01T00:00:01Z', { account: '444455556666', region: 'eu-west-1', sourceIPAddress: '203.0.113.9', userIdentity: { type: 'Root', principalId: '444455556666' } as never })], {
      source: 'backtest',
      now,
    });
    expect(f).not.toHaveProperty('account');
    expect(f).not.toHaveProperty('region');
    expect(f).not.toHaveProperty('principal');
    expect(f).not.toHaveProperty('sourceIp');
    expect(f).not.toHaveProperty('groupKey');
    expect(f.source).toBe('backtest');
  });

  it('caps the listed event ids and keeps the full count', () => {
    const events = Array.from({ length: MAX_FINDING_EVENT_IDS + 5 }, (_, i) => event(`e${String(i).padStart(4, '0')}`, '2026-03-01T00:00:00Z'));
    const f = buildFinding('f-3', rule, events, { source: 'live', now, eventCount: 1000 });
    expect(f.eventIds).toHaveLength(MAX_FINDING_EVENT_IDS);
    expect(f.eventIds[0]).toBe('e0000');
    expect(f.eventCount).toBe(1000);
    expect(buildFinding('f-4', rule, events, { source: 'live', now }).eventCount).toBe(MAX_FINDING_EVENT_IDS + 5);
  });

  it('refuses a finding without events, naming it and its rule', () => {
    expect(() => buildFinding('f-5', rule, [], { source: 'live', now })).toThrow('finding f-5 of rule r1 has no event');
  });
});

describe('principalOf', () => {
  it('takes the ARN, else the session issuer, the principal id, the invoking service', () => {
    expect(principalOf({ userIdentity: { arn: 'arn:a', principalId: 'P' } as never })).toBe('arn:a');
    expect(principalOf({ userIdentity: { sessionIssuer: { arn: 'arn:issuer' }, principalId: 'P' } as never })).toBe('arn:issuer');
    expect(principalOf({ userIdentity: { principalId: 'P' } as never })).toBe('P');
    expect(principalOf({ userIdentity: { invokedBy: 'ec2.amazonaws.com' } as never })).toBe('ec2.amazonaws.com');
    expect(principalOf({ userIdentity: { arn: '' } as never })).toBeUndefined();
    expect(principalOf({})).toBeUndefined();
  });
});
