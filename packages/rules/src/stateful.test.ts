import { evaluateOffline } from './evaluate-offline';
import { loadRuleText } from './load-rules';
import type { RuleMatch } from './types';

const BASE = `title: failed
id: failed
name: failed
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: ConsoleLogin
        responseElements.ConsoleLogin: Failure
    condition: sel
---
`;

const ev = (i: number, t: string, ip = '198.51.100.7', extra: Record<string, unknown> = {}) => ({
  eventID: `e-${i}`,
  eventTime: t,
  eventSource: 'signin.amazonaws.com',
  eventName: 'ConsoleLogin',
  sourceIPAddress: ip,
  responseElements: { ConsoleLogin: 'Failure' },
  ...extra,
});

async function all(text: string, records: unknown[]): Promise<RuleMatch[]> {
  const loaded = loadRuleText(text, 'r.yml');
  expect(loaded.refused).toEqual([]);
  const out: RuleMatch[] = [];
  for await (const m of evaluateOffline(loaded.rules, records)) out.push(m);
  return out;
}

const shuffle = <T>(xs: T[]) => [...xs].reverse();

describe('event_count correlation', () => {
  const rule = `${BASE}title: burst
id: burst
correlation:
    type: event_count
    rules: [failed]
    group-by: [sourceIPAddress]
    timespan: 5m
    condition: {gte: 3}
`;
  const records = [
    ev(1, '2026-03-01T10:00:10Z'),
    ev(2, '2026-03-01T10:01:00Z'),
    ev(3, '2026-03-01T10:02:00Z'),
    ev(4, '2026-03-01T10:03:00Z'),
    ev(5, '2026-03-01T10:01:00Z', '192.0.2.1'),
    ev(6, '2026-03-01T10:06:00Z'),
  ];

  it('fires once per group and window, whatever the order, and the base rule reports nothing alone', async () => {
    const got = await all(rule, records);
    expect(got).toEqual([
      expect.objectContaining({ ruleId: 'burst', count: 4, eventIds: ['e-1', 'e-2', 'e-3', 'e-4'], groupKey: '["198.51.100.7"]', windowStart: '2026-03-01T10:00:00.000Z', windowEnd: '2026-03-01T10:05:00.000Z', eventTime: '2026-03-01T10:03:00Z', firstEventTime: '2026-03-01T10:00:10Z' }),
    ]);
    expect(await all(rule, shuffle(records))).toEqual(got);
  });

  it('counts a replayed event once', async () => {
    expect(await all(rule, [records[0], records[0], records[0]])).toEqual([]);
  });

  it('with generate: true the base rule reports its own matches too', async () => {
    const got = await all(rule.replace('condition: {gte: 3}', 'condition: {gte: 3}\n    generate: true'), records.slice(0, 3));
    expect(got.filter((m) => m.ruleId === 'failed')).toHaveLength(3);
    expect(got.filter((m) => m.ruleId === 'burst')).toHaveLength(1);
  });
});

describe('value_count and temporal correlations', () => {
  it('value_count counts distinct values of the field per group', async () => {
    const rule = `${BASE}title: spray
id: spray
correlation:
    type: value_count
    rules: [failed]
    group-by: [sourceIPAddress]
    timespan: 10m
    condition: {field: additionalEventData.user, gt: 2}
`;
    const mk = (i: number, user: string) => ev(i, `2026-03-01T10:0${i}:00Z`, '198.51.100.7', { additionalEventData: { user } });
    expect(await all(rule, [mk(1, 'a'), mk(2, 'b'), mk(3, 'b'), mk(4, 'c')])).toEqual([expect.objectContaining({ ruleId: 'spray', count: 4 })]);
    expect(await all(rule, [mk(1, 'a'), mk(2, 'b'), mk(3, 'b'), mk(4, 'a')])).toEqual([]);
  });

  it('temporal needs every base rule in the window for the same group', async () => {
    const rule = `title: who
id: who
name: who
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: GetCallerIdentity
    condition: sel
---
title: admin
id: admin
name: admin
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: AttachUserPolicy
    condition: sel
---
title: chain
id: chain
correlation:
    type: temporal
    rules: [who, admin]
    group-by: [userIdentity.arn]
    timespan: 15m
`;
    const u = (arn: string) => ({ userIdentity: { arn } });
    const a = { eventID: 'a', eventTime: '2026-03-01T10:01:00Z', eventName: 'GetCallerIdentity', ...u('x') };
    const b = { eventID: 'b', eventTime: '2026-03-01T10:02:00Z', eventName: 'AttachUserPolicy', ...u('x') };
    const c = { eventID: 'c', eventTime: '2026-03-01T10:02:00Z', eventName: 'AttachUserPolicy', ...u('y') };
    expect(await all(rule, [b, a])).toEqual([expect.objectContaining({ ruleId: 'chain', eventIds: ['a', 'b'] })]);
    expect(await all(rule, [a, c])).toEqual([]);
  });

  it('refuses a correlation whose base rule is missing, and unsupported forms, naming the line', () => {
    const r = loadRuleText('title: c\nid: c\ncorrelation:\n    type: event_count\n    rules: [nope]\n    timespan: 5m\n    condition: {gt: 1}\n', 'c.yml');
    expect(r.refused).toEqual([expect.objectContaining({ file: 'c.yml', line: 1, reason: expect.stringMatching(/refers to rule nope, which is not loaded/) })]);
    const t = loadRuleText('title: c\nid: c\ncorrelation:\n    type: temporal_ordered\n    rules: [a]\n    timespan: 5m\n', 'c.yml');
    expect(t.refused).toEqual([expect.objectContaining({ line: 4, reason: expect.stringMatching(/temporal_ordered is not supported/) })]);
    const s = loadRuleText('title: c\nid: c\ncorrelation:\n    type: event_count\n    rules: [a]\n    timespan: 5 minutes\n    condition: {gt: 1}\n', 'c.yml');
    expect(s.refused).toEqual([expect.objectContaining({ line: 6, reason: expect.stringMatching(/not a duration/) })]);
  });
});

describe('new terms', () => {
  const rule = `title: new region
id: new-region
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        userIdentity.type: IAMUser
    condition: sel
trailscope:
    new_terms:
        fields: [userIdentity.arn, awsRegion]
        history: 14d
`;
  const r = (id: string, t: string, region: string, type = 'IAMUser') => ({ eventID: id, eventTime: t, eventName: 'X', awsRegion: region, userIdentity: { type, arn: 'arn:u' } });

  it('fires on the first occurrence only, in event-time order even when history arrives later', async () => {
    const live = r('live', '2026-03-10T00:00:00Z', 'eu-west-1');
    const history = r('old', '2026-03-01T00:00:00Z', 'eu-west-1');
    expect((await all(rule, [live, history])).map((m) => m.eventIds[0])).toEqual(['old']);
    expect((await all(rule, [history, live])).map((m) => m.eventIds[0])).toEqual(['old']);
  });

  it('fires again once the term was unseen for the whole history, and ignores events outside the base', async () => {
    const got = await all(rule, [
      r('a', '2026-03-01T00:00:00Z', 'eu-west-1'),
      r('b', '2026-03-20T00:00:00Z', 'eu-west-1'),
      r('c', '2026-03-21T00:00:00Z', 'eu-west-1'),
      r('d', '2026-03-21T00:00:00Z', 'ap-south-1', 'AWSService'),
    ]);
    expect(got.map((m) => m.eventIds[0])).toEqual(['a', 'b']);
  });

  it('reduces an IP field to its network', async () => {
    const net = rule.replace('fields: [userIdentity.arn, awsRegion]', 'fields: [userIdentity.arn, {field: sourceIPAddress, network: 16}]');
    const ip = (id: string, addr: string) => ({ ...r(id, `2026-03-01T00:00:0${id.length}Z`, 'x'), sourceIPAddress: addr });
    const got = await all(net, [ip('a', '203.0.113.9'), ip('bb', '203.0.7.1'), ip('ccc', '198.51.100.1'), ip('dddd', 'ec2.amazonaws.com')]);
    expect(got.map((m) => m.groupKey)).toEqual(['["arn:u","203.0.0.0/16"]', '["arn:u","198.51.0.0/16"]']);
  });
});
