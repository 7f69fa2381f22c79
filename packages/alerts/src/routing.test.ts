import { parseAlertsConfig } from './alerts-config';
import { destinationsFor } from './routing';

const config = parseAlertsConfig(
  `
destinations:
  - {name: pager, type: slack, url: "https://x.example/1"}
  - {name: chat, type: slack, url: "https://x.example/2"}
  - {name: prod, type: slack, url: "https://x.example/3"}
routes:
  - {destination: pager, minLevel: high}
  - {destination: chat, tags: [attack.t1110], rules: [r1, r2]}
  - {destination: prod, accounts: ["111111111111"]}
`,
  'alerts.yml',
);
const finding = (over: Record<string, unknown>) => ({ id: 'f', ruleId: 'r1', ruleTitle: 't', ruleLevel: 'medium', ruleTags: [], eventIds: [], eventTime: '2026-01-01T00:00:00Z', ...over });

describe('routing', () => {
  it('by level, rule and tags, accounts', () => {
    expect(destinationsFor(finding({ ruleLevel: 'critical' }), config)).toEqual(['pager']);
    expect(destinationsFor(finding({ ruleLevel: 'low' }), config)).toEqual([]);
    expect(destinationsFor(finding({ ruleTags: ['attack.t1110'] }), config)).toEqual(['chat']);
    expect(destinationsFor(finding({ ruleId: 'r3', ruleTags: ['attack.t1110'] }), config)).toEqual([]);
    expect(destinationsFor(finding({ account: '111111111111', ruleLevel: 'high' }), config)).toEqual(['pager', 'prod']);
  });
});
