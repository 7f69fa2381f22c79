import { evaluateOffline, type OfflineStats } from './evaluate-offline';
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

/** The failed-login rule and an event_count correlation of 3 of them per address in 5 minutes. */
const BURST = `${BASE}title: burst
id: burst
correlation:
    type: event_count
    rules: [failed]
    group-by: [sourceIPAddress]
    timespan: 5m
    condition: {gte: 3}
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
  const rule = BURST;
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
    const t = loadRuleText('title: c\nid: c\ncorrelation:\n    type: temporal_unordered\n    rules: [a]\n    timespan: 5m\n', 'c.yml');
    expect(t.refused).toEqual([expect.objectContaining({ line: 4, reason: expect.stringMatching(/"temporal_unordered" is not one of event_count, value_count, temporal, temporal_ordered/) })]);
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

const CHAIN_BASES = `title: who
id: who-id
name: who
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: GetCallerIdentity
    condition: sel
---
title: admin
id: admin-id
name: admin
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: AttachUserPolicy
    condition: sel
---
title: key
id: key-id
name: key
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: CreateAccessKey
    condition: sel
---
`;

describe('temporal_ordered correlation', () => {
  const rule = `${CHAIN_BASES}title: ordered chain
id: ordered
correlation:
    type: temporal_ordered
    rules: [who, admin, key]
    group-by: [userIdentity.arn]
    timespan: 15m
`;
  const e = (id: string, t: string, eventName: string, arn = 'x') => ({ eventID: id, eventTime: `2026-03-01T10:${t}Z`, eventName, userIdentity: { arn } });

  it('fires when the rules match in their order within a window, whatever order the records arrive in', async () => {
    const records = [e('a', '01:00', 'GetCallerIdentity'), e('b', '02:00', 'AttachUserPolicy'), e('c', '03:00', 'CreateAccessKey')];
    const want = [expect.objectContaining({ ruleId: 'ordered', eventIds: ['a', 'b', 'c'], count: 3, groupKey: '["x"]', windowStart: '2026-03-01T10:00:00.000Z' })];
    expect(await all(rule, records)).toEqual(want);
    expect(await all(rule, shuffle(records))).toEqual(want);
  });

  it('does not fire when the same events come in another order, and temporal does', async () => {
    const records = [e('a', '01:00', 'AttachUserPolicy'), e('b', '02:00', 'GetCallerIdentity'), e('c', '03:00', 'CreateAccessKey')];
    expect(await all(rule, records)).toEqual([]);
    expect(await all(rule.replace('type: temporal_ordered', 'type: temporal'), records)).toEqual([expect.objectContaining({ ruleId: 'ordered' })]);
  });

  it('an out-of-order step is skipped, a later in-order one counts; events of the same second count as in order', async () => {
    const records = [e('a', '01:00', 'AttachUserPolicy'), e('b', '02:00', 'GetCallerIdentity'), e('a0', '04:00', 'CreateAccessKey'), e('c', '04:00', 'AttachUserPolicy')];
    expect(await all(rule, records)).toEqual([expect.objectContaining({ ruleId: 'ordered', count: 4 })]);
  });

  it('a condition counts the rules matched in order from the first: {gte: 2} fires on who then admin', async () => {
    const two = rule.replace('timespan: 15m', 'timespan: 15m\n    condition: {gte: 2}');
    expect(await all(two, [e('a', '01:00', 'GetCallerIdentity'), e('b', '02:00', 'AttachUserPolicy')])).toHaveLength(1);
    expect(await all(two, [e('a', '01:00', 'AttachUserPolicy'), e('b', '02:00', 'CreateAccessKey')])).toEqual([]);
  });

  it('needs the same group and the same window', async () => {
    expect(await all(rule, [e('a', '01:00', 'GetCallerIdentity'), e('b', '02:00', 'AttachUserPolicy', 'y'), e('c', '03:00', 'CreateAccessKey')])).toEqual([]);
    expect(await all(rule, [e('a', '14:00', 'GetCallerIdentity'), e('b', '16:00', 'AttachUserPolicy'), e('c', '17:00', 'CreateAccessKey')])).toEqual([]);
  });
});

describe('correlation aliases', () => {
  const rule = `${CHAIN_BASES}title: grant then use
id: granted
correlation:
    type: temporal
    rules: [admin, who-id]
    group-by: [principal]
    timespan: 15m
    aliases:
        principal:
            admin: requestParameters.userName
            who-id: userIdentity.userName
`;
  const grant = (id: string, userName: string) => ({ eventID: id, eventTime: '2026-03-01T10:01:00Z', eventName: 'AttachUserPolicy', userIdentity: { userName: 'admin' }, requestParameters: { userName } });
  const use = (id: string, userName: string) => ({ eventID: id, eventTime: '2026-03-01T10:05:00Z', eventName: 'GetCallerIdentity', userIdentity: { userName } });

  it('groups each base rule by the field its alias names (by rule name or id)', async () => {
    expect(await all(rule, [grant('g', 'bob'), use('u', 'bob')])).toEqual([expect.objectContaining({ ruleId: 'granted', groupKey: '["bob"]', eventIds: ['g', 'u'] })]);
    expect(await all(rule, [grant('g', 'bob'), use('u', 'alice')])).toEqual([]);
  });

  it('refuses an alias that misses a base rule or names a rule outside the correlation', () => {
    const missing = loadRuleText(rule.replace('            who-id: userIdentity.userName\n', ''), 'a.yml');
    expect(missing.refused).toEqual([expect.objectContaining({ id: 'granted', reason: expect.stringMatching(/alias "principal" names no field for rule who/) })]);
    const foreign = loadRuleText(rule.replace('who-id: userIdentity.userName', 'who-id: userIdentity.userName\n            key: x'), 'a.yml');
    expect(foreign.refused).toEqual([expect.objectContaining({ reason: expect.stringMatching(/alias "principal" names rule key, which is not one of the correlation's rules/) })]);
    const bad = loadRuleText(rule.replace('            admin: requestParameters.userName\n            who-id: userIdentity.userName\n', '            - x\n'), 'a.yml');
    expect(bad.refused).toEqual([expect.objectContaining({ file: 'a.yml', reason: expect.stringMatching(/alias "principal" must be a map/) })]);
  });
});

describe('streamed (ordered) evaluation', () => {
  const text = `${BURST}---
title: new ip
id: new-ip
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: ConsoleLogin
    condition: sel
trailscope:
    new_terms:
        fields: [sourceIPAddress]
        history: 1h
`;
  /** Failed logins every 20 s from 5 rotating addresses plus a new address each hour, in time order. */
  function* trail(hours: number): Generator<Record<string, unknown>> {
    const start = Date.parse('2026-03-01T00:00:00Z');
    for (let i = 0; i < hours * 180; i++) {
      const t = new Date(start + i * 20_000).toISOString();
      const hour = Math.floor(i / 180);
      yield ev(i, t, i % 180 === 0 ? `203.0.${hour % 256}.1` : `198.51.100.${i % 5}`);
    }
  }
  const keyOf = (m: { ruleId: string; eventIds: string[]; groupKey?: string; windowStart?: string; count?: number }) => `${m.ruleId}|${m.groupKey}|${m.windowStart ?? m.eventIds[0]}|${m.count ?? ''}`;

  async function run(hours: number, ordered: boolean): Promise<{ keys: string[]; stats: OfflineStats }> {
    const stats: OfflineStats = { maxRetained: 0 };
    const out: string[] = [];
    for await (const m of evaluateOffline(loadRuleText(text, 'r.yml').rules, trail(hours), { ordered, stats })) out.push(keyOf(m));
    return { keys: out.sort(), stats };
  }

  it('gives the matches of the unordered evaluation', async () => {
    const a = await run(3, true);
    const b = await run(3, false);
    expect(a.keys).toEqual(b.keys);
    expect(a.keys.filter((k) => k.startsWith('new-ip'))).toHaveLength(5 + 3);
    expect(a.keys.filter((k) => k.startsWith('burst')).length).toBeGreaterThan(100);
  });

  it('holds the same state when the range doubles (an open window and one history span), where unordered grows with it', async () => {
    const day = await run(24, true);
    const twoDays = await run(48, true);
    expect(twoDays.stats.maxRetained).toBe(day.stats.maxRetained);
    expect(day.stats.maxRetained).toBeLessThan(40);
    const unordered = await run(24, false);
    expect(unordered.stats.maxRetained).toBe(2 * 24 * 180);
  });

  it('refuses records out of eventTime order, naming the event', async () => {
    const records = [ev(2, '2026-03-01T10:05:00Z'), ev(1, '2026-03-01T10:00:00Z')];
    const it = evaluateOffline(loadRuleText(text, 'r.yml').rules, records, { ordered: true });
    await expect((async () => {
      for await (const _ of it) void _;
    })()).rejects.toThrow(/event e-1 \(2026-03-01T10:00:00Z\) came after e-2/);
  });
});
