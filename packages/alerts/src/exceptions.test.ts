import { parseAlertsConfig } from './alerts-config';
import { compileException, ExceptionSet } from './exceptions';

const config = parseAlertsConfig(
  `
exceptions:
  - rule: r1
    detection: {ci: {userIdentity.arn|endswith: role/ci-deployer}, condition: ci}
    reason: CI deploys
    author: alice
  - rule: r1
    detection: {scanner: {sourceIPAddress: 203.0.113.9}, condition: scanner}
    expires: 2026-01-01T00:00:00Z
    reason: scanner, until the end of 2025
    author: bob
`,
  'alerts.yml',
);

describe('exceptions', () => {
  const set = new ExceptionSet(config.exceptions.map((e, i) => compileException(e, i, 'alerts.yml')));
  const now = Date.parse('2025-06-01T00:00:00Z');

  it('match what they name, for their rule only', () => {
    expect(set.match('r1', { userIdentity: { arn: 'arn:aws:sts::1:assumed-role/ci-deployer' } }, now)?.author).toBe('alice');
    expect(set.match('r1', { userIdentity: { arn: 'arn:aws:sts::1:assumed-role/Admin' } }, now)).toBeUndefined();
    expect(set.match('r2', { userIdentity: { arn: 'arn:aws:sts::1:assumed-role/ci-deployer' } }, now)).toBeUndefined();
  });

  it('stop applying once expired', () => {
    expect(set.match('r1', { sourceIPAddress: '203.0.113.9' }, now)?.author).toBe('bob');
    expect(set.match('r1', { sourceIPAddress: '203.0.113.9' }, Date.parse('2026-01-02T00:00:00Z'))).toBeUndefined();
  });

  it('refuses a detection the Sigma compiler refuses, naming the key', () => {
    const bad = parseAlertsConfig('exceptions: [{rule: r, detection: {sel: {a: 1}}, reason: x, author: y}]', 'alerts.yml').exceptions[0];
    expect(() => compileException(bad as never, 0, 'alerts.yml')).toThrow(/alerts\.yml: exceptions\[0\]\.detection: .*condition/);
  });
});
