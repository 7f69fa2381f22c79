import { parseAlertsConfig, redactedConfig } from './alerts-config';

const GOOD = `
destinations:
  - {name: hook, type: webhook, url: "https://hooks.example.com/x", secret: "0123456789abcdef-secret"}
  - {name: chat, type: slack, url: "https://hooks.slack.com/services/T/B/C"}
  - {name: archive, type: file, path: /var/log/trailscope/alerts.ndjson}
routes:
  - {destination: hook, minLevel: high}
  - {destination: chat, tags: [attack.t1110], accounts: ["555555555555"]}
throttles:
  - {rule: r1, groupBy: [userIdentity.arn, eventName], window: 10m}
exceptions:
  - rule: r1
    detection: {ci: {userIdentity.arn|endswith: role/ci-deployer}, condition: ci}
    expires: 2027-01-31T00:00:00Z
    reason: CI deploys
    author: alice
`;

function refusal(text: string): string {
  try {
    parseAlertsConfig(text, 'alerts.yml');
  } catch (e) {
    expect((e as { code?: string }).code).toBe('CONFIG_INVALID');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('alerts config', () => {
  it('parses destinations, routes, throttles, exceptions with defaults', () => {
    const c = parseAlertsConfig(GOOD, 'alerts.yml');
    expect(c.destinations.map((d) => d.type)).toEqual(['webhook', 'slack', 'file']);
    expect(c.throttles[0]?.window).toBe(600_000);
    expect(c.delivery.maxRetry).toBe(86_400_000);
    expect(JSON.stringify(redactedConfig(c))).not.toContain('0123456789abcdef-secret');
  });

  it('names file and key for a wrong URL, a bad secret type and an unknown level, never quoting the secret', () => {
    expect(refusal('destinations: [{name: hook, type: webhook, url: "not a url", secret: "0123456789abcdef-x"}]')).toContain('alerts.yml: destinations[0](hook).url: must be an http:// or https:// URL');
    const secretType = refusal('destinations: [{name: hook, type: webhook, url: "https://x.example", secret: 12345678901234567890}]');
    expect(secretType).toContain('alerts.yml: destinations[0](hook).secret: must be a string');
    expect(secretType).not.toContain('12345678901234567890');
    expect(refusal('destinations: [{name: hook, type: slack, url: "https://x.example"}]\nroutes: [{destination: hook, minLevel: severe}]')).toContain(
      'alerts.yml: routes[0].minLevel: must be one of informational, low, medium, high, critical',
    );
  });

  it('refuses routes to unknown destinations, unknown keys, bad durations and YAML errors', () => {
    expect(refusal('routes: [{destination: nowhere}]')).toContain('routes[0].destination: no destination is named "nowhere"');
    expect(refusal('destinations: [{name: a, type: slack, url: "https://x.example", colour: red}]')).toContain('destinations[0](a): unknown key colour');
    expect(refusal('throttles: [{rule: r, groupBy: [a], window: soon}]')).toContain('throttles[0].window: "soon" is not a duration');
    expect(refusal('destinations: [{name: a, type: pager}]')).toContain('destinations[0](a).type');
    expect(refusal('destinations: [')).toContain('alerts.yml: YAML:');
  });
});
