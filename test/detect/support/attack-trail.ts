import type { FindingDoc } from '@trailscope/detect';
import { generateTrail, gzipLogFile, logFileKey, type GeneratedFile } from '@trailscope/fixtures';

export const ACCOUNT = '555555555555';
export const REGIONS = ['us-east-1', 'eu-west-1'];
const ARN_A = `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/mallory`;
const ARN_B = `arn:aws:iam::${ACCOUNT}:user/ci-bot`;

/** Test rules: exact-DSL and match()-confirmed single rules, a correlation over a hidden base rule, new terms. */
export const RULES: Record<string, string> = {
  'defense-evasion/trail-deleted.yml': `title: Test trail deleted
id: 5a1f0c1e-0000-4000-8000-000000000001
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: DeleteTrail
  condition: selection
level: high
tags: [attack.defense-evasion, attack.t1562.008]
`,
  'credential-access/password-data.yml': `title: Test EC2 password data read by a session without MFA
id: 5a1f0c1e-0000-4000-8000-000000000002
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: GetPasswordData
    userIdentity.sessionContext.attributes.mfaAuthenticated: 'false'
  condition: selection
level: medium
tags: [attack.credential-access]
`,
  'credential-access/brute-force.yml': `title: Test failed console login
id: 5a1f0c1e-0000-4000-8000-000000000003
name: test_failed_console_login
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: ConsoleLogin
    errorMessage: Failed authentication
  condition: selection
level: low
---
title: Test console login brute force
id: 5a1f0c1e-0000-4000-8000-000000000004
status: test
correlation:
  type: event_count
  rules: [test_failed_console_login]
  group-by: [sourceIPAddress]
  timespan: 5m
  condition: {gte: 5}
level: high
tags: [attack.credential-access, attack.t1110]
`,
  'discovery/new-region.yml': `title: Test principal in a region new to it
id: 5a1f0c1e-0000-4000-8000-000000000005
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: GetCallerIdentity
  condition: selection
trailscope:
  new_terms:
    fields: [userIdentity.arn, awsRegion]
    history: 14d
level: low
tags: [attack.discovery]
`,
};

export const RULE = {
  trailDeleted: '5a1f0c1e-0000-4000-8000-000000000001',
  passwordData: '5a1f0c1e-0000-4000-8000-000000000002',
  bruteForce: '5a1f0c1e-0000-4000-8000-000000000004',
  newRegion: '5a1f0c1e-0000-4000-8000-000000000005',
};

let seq = 0;
const id = (tag: number) => `${tag.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-${(++seq).toString(16).padStart(12, '0')}`;

function record(eventTime: string, region: string, fields: Record<string, unknown>, identity: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'AssumedRole', arn: ARN_A, accountId: ACCOUNT, principalId: 'AROAEXAMPLE:mallory', sessionContext: { attributes: { mfaAuthenticated: 'false' } }, ...identity },
    eventTime,
    awsRegion: region,
    sourceIPAddress: '198.51.100.23',
    userAgent: 'aws-cli/2.15.30',
    requestParameters: null,
    responseElements: null,
    eventID: id(0xa77ac),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...fields,
  };
}

const failedLogin = (eventTime: string, ip: string) =>
  record(eventTime, 'us-east-1', { eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', sourceIPAddress: ip, errorMessage: 'Failed authentication', responseElements: { ConsoleLogin: 'Failure' } }, { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/victim`, userName: 'victim', sessionContext: undefined });
const callerIdentity = (eventTime: string, region: string, arn: string) => record(eventTime, region, { eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', readOnly: true }, { arn });

export interface AttackTrail {
  files: GeneratedFile[];
  /** Every distinct record uploaded (a file delivered twice counts once). */
  records: Array<Record<string, unknown>>;
  /** The findings live detection must produce, as `ruleId|event id` (single, new terms) or `ruleId|group|window`. */
  expected: string[];
}

function file(records: Array<Record<string, unknown>>, region: string, delivery: string, suffix: string): GeneratedFile {
  const rawRecords = records.map((r) => JSON.stringify(r));
  return { key: logFileKey({ account: ACCOUNT, region, fileTimeMs: Date.parse(delivery), suffix }), body: gzipLogFile(rawRecords), account: ACCOUNT, region, deliveryDate: delivery.slice(0, 10), records, rawRecords };
}

/** Benign noise from the fixture generator plus attack sequences, some delivered late and one file twice. */
export function attackTrail(): AttackTrail {
  const noise = generateTrail({ seed: 13, accounts: [ACCOUNT], regions: REGIONS, days: ['2026-03-05'], filesPerPartition: 12, eventsPerFile: 250, lateEventShare: 0.05 });
  const trailDeleted = record('2026-03-05T08:15:00Z', 'us-east-1', { eventSource: 'cloudtrail.amazonaws.com', eventName: 'DeleteTrail', requestParameters: { name: 'org-trail' } });
  const pwNoMfa = record('2026-03-05T08:20:00Z', 'eu-west-1', { eventSource: 'ec2.amazonaws.com', eventName: 'GetPasswordData', requestParameters: { instanceId: 'i-0abc' } });
  const pwMfa = record('2026-03-05T08:21:00Z', 'eu-west-1', { eventSource: 'ec2.amazonaws.com', eventName: 'GetPasswordData', requestParameters: { instanceId: 'i-0abd' } }, { sessionContext: { attributes: { mfaAuthenticated: 'true' } } });
  // 6 failures in the 10:00 window and 5 in the 11:00 window from .50; 4 from .51; 3 + 3 from .52 across a boundary
  const burst50a = [0, 30, 60, 90, 120, 150].map((s) => failedLogin(new Date(Date.parse('2026-03-05T10:00:00Z') + s * 1000).toISOString().replace('.000', ''), '203.0.113.50'));
  const burst50b = [0, 40, 80, 120, 160].map((s) => failedLogin(new Date(Date.parse('2026-03-05T11:00:00Z') + s * 1000).toISOString().replace('.000', ''), '203.0.113.50'));
  const burst51 = [0, 20, 40, 60].map((s) => failedLogin(new Date(Date.parse('2026-03-05T10:01:00Z') + s * 1000).toISOString().replace('.000', ''), '203.0.113.51'));
  const burst52 = ['10:04:00', '10:04:20', '10:04:40', '10:05:00', '10:05:20', '10:05:40'].map((t) => failedLogin(`2026-03-05T${t}Z`, '203.0.113.52'));
  const ciA1 = callerIdentity('2026-03-05T09:00:00Z', 'us-east-1', ARN_A);
  const ciA2 = callerIdentity('2026-03-05T09:30:00Z', 'us-east-1', ARN_A);
  const ciA3 = callerIdentity('2026-03-05T09:40:00Z', 'eu-west-1', ARN_A);
  const ciB1 = callerIdentity('2026-03-05T12:00:00Z', 'us-east-1', ARN_B);

  const attack = [
    // the second half of a burst arrives in an earlier-named file than the first: order of arrival must not matter
    file([...burst50a.slice(3), ciA2, trailDeleted], 'us-east-1', '2026-03-05T10:10:00Z', 'a77ac00000000001'),
    file([...burst50a.slice(0, 3), ciA1, ...burst51], 'us-east-1', '2026-03-05T10:12:00Z', 'a77ac00000000002'),
    file([...burst52, ...burst50b, ciB1], 'us-east-1', '2026-03-05T12:05:00Z', 'a77ac00000000003'),
    // delivered the next day (late events)
    file([pwNoMfa, pwMfa, ciA3], 'eu-west-1', '2026-03-06T00:05:00Z', 'a77ac00000000004'),
  ];
  const again = attack[0] as GeneratedFile;
  const duplicate = file(again.records, 'us-east-1', '2026-03-05T23:55:00Z', 'a77ac000000000dd');
  const files = [...noise, ...attack, duplicate];
  const records = [...noise.flatMap((f) => f.records), ...attack.flatMap((f) => f.records)];
  const expected = [
    `${RULE.trailDeleted}|${trailDeleted.eventID}`,
    `${RULE.passwordData}|${pwNoMfa.eventID}`,
    `${RULE.bruteForce}|["203.0.113.50"]|2026-03-05T10:00:00.000Z`,
    `${RULE.bruteForce}|["203.0.113.50"]|2026-03-05T11:00:00.000Z`,
    `${RULE.newRegion}|${ciA1.eventID}`,
    `${RULE.newRegion}|${ciA3.eventID}`,
    `${RULE.newRegion}|${ciB1.eventID}`,
  ];
  return { files, records, expected };
}

/**
 * The new-terms finding a live pass may rightly write and then close: the first attack file (delivered 10:10) holds
 * mallory's 09:30 us-east-1 GetCallerIdentity, the second (10:12) her 09:00 one. Evaluated in one pass, only 09:00
 * fires; when the first file's pass runs before the second file is indexed, 09:30 fires as a first occurrence and is
 * closed as superseded once 09:00 is evaluated. Returns that finding when present, checked to be closed so.
 */
export function supersededOutOfOrder(findings: FindingDoc[]): FindingDoc[] {
  const found = findings.filter((f) => f.ruleId === RULE.newRegion && f.eventTime === '2026-03-05T09:30:00Z' && f.region === 'us-east-1' && f.principal === ARN_A);
  for (const f of found) expect(f).toEqual(expect.objectContaining({ status: 'closed', statusBy: 'trailscope', statusReason: expect.stringContaining('superseded') }));
  return found;
}

/** History delivered after the live events: ci-bot 4 days earlier (supersedes its live finding), mallory 30 days earlier. */
export function lateHistory(): { file: GeneratedFile; supersededBy: Record<string, unknown>; outsideHistory: Record<string, unknown> } {
  const supersededBy = callerIdentity('2026-03-01T12:00:00Z', 'us-east-1', ARN_B);
  const outsideHistory = callerIdentity('2026-02-03T09:00:00Z', 'us-east-1', ARN_A);
  return { file: file([supersededBy, outsideHistory], 'us-east-1', '2026-03-06T06:00:00Z', 'a77ac000000000ff'), supersededBy, outsideHistory };
}
