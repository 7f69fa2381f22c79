import { runBacktest } from '@trailscope/detect';
import { installTemplates } from '@trailscope/indexer';
import { indexNameFor } from '@trailscope/model';
import { normalize } from '@trailscope/parser';
import { loadRuleText, type OfflineStats } from '@trailscope/rules';
import { createOpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, makeConfig, uniqueNamespace } from '../support/env';

const RULES = `title: failed
id: failed
name: failed
logsource: {product: aws, service: cloudtrail}
detection:
    sel:
        eventName: ConsoleLogin
        errorMessage: Failed authentication
    condition: sel
---
title: burst
id: burst
correlation:
    type: event_count
    rules: [failed]
    group-by: [sourceIPAddress]
    timespan: 5m
    condition: {gte: 10}
---
title: new address
id: new-address
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

const START = Date.parse('2026-03-01T00:00:00Z');
const EVERY_MS = 20_000;
const PER_DAY = 86_400_000 / EVERY_MS;

/** A failed login every 20 s from 5 rotating addresses, and a new address at each hour's start. */
function record(i: number): Record<string, unknown> {
  const hour = Math.floor((i * EVERY_MS) / 3_600_000);
  const ip = i % 180 === 0 ? `203.0.${hour % 256}.${1 + Math.floor(hour / 256)}` : `198.51.100.${i % 5}`;
  return {
    eventVersion: '1.09',
    eventTime: new Date(START + i * EVERY_MS).toISOString().replace('.000Z', 'Z'),
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    errorMessage: 'Failed authentication',
    awsRegion: 'us-east-1',
    sourceIPAddress: ip,
    eventID: `mem-${String(i).padStart(6, '0')}`,
    recipientAccountId: '111122223333',
    responseElements: { ConsoleLogin: 'Failure' },
  };
}

/**
 * rules backtest judges correlations and new terms as the index streams events by time: the state it holds is
 * the open window's groups and one history span's terms, the same over one day as over two.
 */
describe('backtest memory: correlation and new-terms state does not grow with the range', () => {
  const namespace = uniqueNamespace('t-bt-mem');
  const config = makeConfig(namespace);
  const client = createOpenSearchClient(config);
  const rules = loadRuleText(RULES, 'mem.yml').rules;

  beforeAll(async () => {
    await installTemplates(client, config);
    const source = { bucket: 'b', key: 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/x.json.gz', etag: 'e', kind: 'log' as const, account: '111122223333', region: 'us-east-1' };
    for (let from = 0; from < 2 * PER_DAY; from += 2000) {
      const body = [];
      for (let i = from; i < Math.min(from + 2000, 2 * PER_DAY); i++) {
        const r = record(i);
        const doc = normalize(r, JSON.stringify(r), source, '2026-03-03T00:00:00Z');
        body.push({ create: { _index: indexNameFor(doc.eventTime, namespace, config.index.period), _id: doc.id } }, doc);
      }
      const res = await client.bulk({ body, refresh: false });
      expect(res.body.errors).toBe(false);
    }
    await client.indices.refresh({ index: config.names.eventsAlias });
  });

  afterAll(async () => {
    await cleanupNamespace(client, namespace);
    await client.close();
  });

  async function backtest(days: number): Promise<{ stats: OfflineStats; matches: Record<string, number> }> {
    const stats: OfflineStats = { maxRetained: 0 };
    const matches: Record<string, number> = {};
    const filter = { range: { eventTime: { gte: START, lt: START + days * 86_400_000, format: 'epoch_millis' } } };
    await runBacktest(client, config.names, rules, filter, { stats, onMatch: (m) => void (matches[m.ruleId] = (matches[m.ruleId] ?? 0) + 1) });
    return { stats, matches };
  }

  it('holds the same state over two days as over one, and finds twice the matches', async () => {
    const one = await backtest(1);
    const two = await backtest(2);
    // 5 addresses x 3 failures per 5-minute window never reach 10; the hourly new address is new once
    expect(one.matches).toEqual({ 'new-address': 5 + 24 });
    expect(two.matches).toEqual({ 'new-address': 5 + 48 });
    expect(one.stats.maxRetained).toBeGreaterThan(0);
    expect(two.stats.maxRetained).toBe(one.stats.maxRetained);
    // an open window (15 events) and one history span's terms (the 5 addresses and at most 2 hourly ones)
    expect(two.stats.maxRetained).toBeLessThanOrEqual(15 + 7);
  });
});
