/**
 * The Sigma semantics as a table: each case is a detection and records it must and must not match. Run by the
 * unit tests through match(), and by the integration test through the DSL over the same records indexed.
 */
export interface SemanticsCase {
  name: string;
  /** The `detection:` section body, indented by four spaces. */
  detection: string;
  yes: Array<Record<string, unknown>>;
  no: Array<Record<string, unknown>>;
}

let n = 0;
/** A minimal CloudTrail record (eventTime, eventSource, eventName and a unique eventID) plus the given fields. */
export function rec(fields: Record<string, unknown>): Record<string, unknown> {
  n += 1;
  return {
    eventVersion: '1.09',
    eventTime: `2026-03-01T10:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}Z`,
    eventSource: 'test.amazonaws.com',
    eventName: 'Test',
    awsRegion: 'us-east-1',
    eventID: `sem-${String(n).padStart(4, '0')}`,
    recipientAccountId: '111122223333',
    ...fields,
  };
}

const d = (s: string) => s.replace(/^\n/, '');

export const SEMANTICS_CASES: SemanticsCase[] = [
  {
    name: 'plain value: whole value, case-insensitive',
    detection: d(`
    sel:
        eventName: CreateUser
    condition: sel
`),
    yes: [rec({ eventName: 'CreateUser' }), rec({ eventName: 'createuser' }), rec({ eventName: 'CREATEUSER' })],
    no: [rec({ eventName: 'CreateUsers' }), rec({ eventName: 'XCreateUser' }), rec({})],
  },
  {
    name: 'wildcards * and ?',
    detection: d(`
    sel:
        eventName: 'Create*Us?r'
    condition: sel
`),
    yes: [rec({ eventName: 'CreateUser' }), rec({ eventName: 'CreateLoginUsEr' }), rec({ eventName: 'createusar' })],
    no: [rec({ eventName: 'CreateUsers' }), rec({ eventName: 'CreateUsr' })],
  },
  {
    name: 'escapes: \\* and \\? literal, \\\\ a backslash, other backslashes literal',
    detection: d(`
    sel:
        userAgent:
            - 'star\\*'
            - 'q\\?'
            - 'C:\\\\*'
            - 'D:\\Windows'
    condition: sel
`),
    yes: [rec({ userAgent: 'star*' }), rec({ userAgent: 'q?' }), rec({ userAgent: 'C:\\anything' }), rec({ userAgent: 'd:\\windows' })],
    no: [rec({ userAgent: 'starX' }), rec({ userAgent: 'qX' }), rec({ userAgent: 'C:anything' }), rec({ userAgent: 'D:Windows' })],
  },
  {
    name: 'contains, startswith, endswith (case-insensitive, wildcards inside)',
    detection: d(`
    sel_c:
        userAgent|contains: 'Boto3'
    sel_s:
        eventName|startswith: 'Delete'
    sel_e:
        sourceIPAddress|endswith: '.amazonaws.com'
    sel_w:
        errorCode|contains: 'Den*ed'
    condition: 1 of sel_*
`),
    yes: [rec({ userAgent: 'x boto3/1.34 y' }), rec({ eventName: 'deleteTrail' }), rec({ sourceIPAddress: 'EC2.AMAZONAWS.COM' }), rec({ errorCode: 'AccessDenied' })],
    no: [rec({ userAgent: 'aws-cli/2' }), rec({ eventName: 'UnDelete' }), rec({ sourceIPAddress: 'amazonaws.com.evil' }), rec({ errorCode: 'Throttling' })],
  },
  {
    name: 'cased: case-sensitive',
    detection: d(`
    sel:
        eventName|cased: CreateUser
    sel2:
        userAgent|contains|cased: 'Boto3'
    condition: sel or sel2
`),
    yes: [rec({ eventName: 'CreateUser' }), rec({ userAgent: 'x Boto3 y' })],
    no: [rec({ eventName: 'createuser' }), rec({ userAgent: 'x boto3 y' })],
  },
  {
    name: 're: case-sensitive search, i/m/s flags',
    detection: d(`
    sel_plain:
        userIdentity.arn|re: ':assumed-role/aws:.+'
    sel_i:
        userAgent|re|i: '^TRUFFLEHOG'
    sel_m:
        errorMessage|re|m: '^second$'
    sel_s:
        requestID|re|s: 'a.b'
    condition: 1 of sel_*
`),
    yes: [
      rec({ userIdentity: { arn: 'arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1' } }),
      rec({ userAgent: 'TruffleHog/3' }),
      rec({ errorMessage: 'first\nsecond\nthird' }),
      rec({ requestID: 'a\nb' }),
    ],
    no: [
      rec({ userIdentity: { arn: 'arn:aws:sts::1:ASSUMED-ROLE/aws:ec2-instance/i-1' } }),
      rec({ userAgent: 'x trufflehog' }),
      rec({ errorMessage: 'first second' }),
      rec({ requestID: 'a\n\nb' }),
    ],
  },
  {
    name: 'all: every listed value',
    detection: d(`
    sel:
        userAgent|contains|all:
            - 'aws-cli'
            - 'linux'
    condition: sel
`),
    yes: [rec({ userAgent: 'aws-cli/2 Linux/6' })],
    no: [rec({ userAgent: 'aws-cli/2 Darwin' }), rec({ userAgent: 'Linux only' })],
  },
  {
    name: 'list of values: OR',
    detection: d(`
    sel:
        eventName:
            - StopLogging
            - DeleteTrail
    condition: sel
`),
    yes: [rec({ eventName: 'StopLogging' }), rec({ eventName: 'deletetrail' })],
    no: [rec({ eventName: 'StartLogging' })],
  },
  {
    name: 'exists true and false',
    detection: d(`
    sel:
        errorCode|exists: true
        userIdentity.invokedBy|exists: false
    condition: sel
`),
    yes: [rec({ errorCode: 'AccessDenied' }), rec({ errorCode: 'X', userIdentity: { type: 'IAMUser' } })],
    no: [rec({}), rec({ errorCode: 'X', userIdentity: { invokedBy: 'config.amazonaws.com' } })],
  },
  {
    name: 'null: absent or JSON null',
    detection: d(`
    sel:
        eventName: GetObject
        errorCode: null
    condition: sel
`),
    yes: [rec({ eventName: 'GetObject' }), rec({ eventName: 'GetObject', errorCode: null })],
    no: [rec({ eventName: 'GetObject', errorCode: 'NoSuchKey' })],
  },
  {
    name: 'cidr: IPv4, IPv6, IPv4-mapped; service names never match',
    detection: d(`
    sel:
        sourceIPAddress|cidr:
            - 10.0.0.0/8
            - 2001:db8::/32
    condition: sel
`),
    yes: [rec({ sourceIPAddress: '10.1.2.3' }), rec({ sourceIPAddress: '2001:db8::5' }), rec({ sourceIPAddress: '::ffff:10.9.9.9' })],
    no: [rec({ sourceIPAddress: '11.0.0.1' }), rec({ sourceIPAddress: 'ec2.amazonaws.com' }), rec({ sourceIPAddress: 'AWS Internal' }), rec({})],
  },
  {
    name: 'fieldref: equal to another field',
    detection: d(`
    sel:
        eventName: CreateAccessKey
    same:
        userIdentity.userName|fieldref: requestParameters.userName
    condition: sel and not same
`),
    yes: [rec({ eventName: 'CreateAccessKey', userIdentity: { userName: 'alice' }, requestParameters: { userName: 'bob' } })],
    no: [rec({ eventName: 'CreateAccessKey', userIdentity: { userName: 'alice' }, requestParameters: { userName: 'alice' } })],
  },
  {
    name: 'base64 and base64offset',
    detection: d(`
    sel_b64:
        requestParameters.userData|base64: 'curl'
    sel_off:
        requestParameters.script|base64offset|contains: 'curl'
    condition: 1 of sel_*
`),
    yes: [
      rec({ requestParameters: { userData: Buffer.from('curl').toString('base64') } }),
      rec({ requestParameters: { script: Buffer.from('#!/bin/sh\ncurl http://x').toString('base64') } }),
      rec({ requestParameters: { script: Buffer.from('x curl').toString('base64') } }),
      rec({ requestParameters: { script: Buffer.from('xy curl').toString('base64') } }),
    ],
    no: [rec({ requestParameters: { userData: 'curl' } }), rec({ requestParameters: { script: Buffer.from('wget').toString('base64') } })],
  },
  {
    name: 'array fan-out: any element',
    detection: d(`
    sel:
        resources.ARN|endswith: ':trail/org'
        requestParameters.instancesSet.items.instanceId: i-0bad
    condition: sel
`),
    yes: [
      rec({
        resources: [{ ARN: 'arn:aws:s3:::b' }, { ARN: 'arn:aws:cloudtrail:us-east-1:1:trail/org' }],
        requestParameters: { instancesSet: { items: [{ instanceId: 'i-0good' }, { instanceId: 'i-0bad' }] } },
      }),
    ],
    no: [rec({ resources: [{ ARN: 'arn:aws:s3:::b' }], requestParameters: { instancesSet: { items: [{ instanceId: 'i-0bad' }] } } })],
  },
  {
    name: 'scalars compare as text: numbers and booleans',
    detection: d(`
    sel:
        requestParameters.maxResults: 42
        requestParameters.dryRun: true
        readOnly: 'true'
    condition: sel
`),
    yes: [rec({ requestParameters: { maxResults: 42, dryRun: true }, readOnly: true }), rec({ requestParameters: { maxResults: '42', dryRun: 'TRUE' }, readOnly: true })],
    no: [rec({ requestParameters: { maxResults: 43, dryRun: true }, readOnly: true }), rec({ requestParameters: { maxResults: 42, dryRun: true }, readOnly: false })],
  },
  {
    name: 'booleans: readOnly false, mfaAuthenticated, wildcard on a boolean',
    detection: d(`
    sel:
        readOnly: false
        userIdentity.sessionContext.attributes.mfaAuthenticated: 'F*'
    condition: sel
`),
    yes: [rec({ readOnly: false, userIdentity: { sessionContext: { attributes: { mfaAuthenticated: 'false' } } } })],
    no: [rec({ readOnly: true, userIdentity: { sessionContext: { attributes: { mfaAuthenticated: 'false' } } } }), rec({ readOnly: false, userIdentity: { sessionContext: { attributes: { mfaAuthenticated: 'true' } } } }), rec({ readOnly: false })],
  },
  {
    name: 'a field holding an object matches on any leaf',
    detection: d(`
    sel:
        requestParameters.bucketPolicy.Statement.Principal: '\\*'
    condition: sel
`),
    yes: [
      rec({ requestParameters: { bucketPolicy: { Statement: [{ Principal: '*' }] } } }),
      rec({ requestParameters: { bucketPolicy: { Statement: [{ Principal: { AWS: '*' } }] } } }),
      rec({ requestParameters: { bucketPolicy: { Statement: [{ Principal: { AWS: ['arn:aws:iam::1:root', '*'] } }] } } }),
    ],
    no: [rec({ requestParameters: { bucketPolicy: { Statement: [{ Principal: { AWS: 'arn:aws:iam::1:root' } }] } } })],
  },
  {
    name: 'keywords search every leaf of the record',
    detection: d(`
    keywords:
        - 'trufflehog*'
        - '*mimikatz*'
    condition: keywords
`),
    yes: [rec({ userAgent: 'TruffleHog/3.0' }), rec({ requestParameters: { a: { b: ['x', 'run mimikatz now'] } } })],
    no: [rec({ userAgent: 'aws-cli' }), rec({ requestParameters: { a: 'not-trufflehog' } })],
  },
  {
    name: 'map AND, list of maps OR',
    detection: d(`
    sel:
        - eventSource: s3.amazonaws.com
          eventName: PutBucketPolicy
        - eventSource: iam.amazonaws.com
          eventName: CreateUser
    condition: sel
`),
    yes: [rec({ eventSource: 's3.amazonaws.com', eventName: 'PutBucketPolicy' }), rec({ eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' })],
    no: [rec({ eventSource: 's3.amazonaws.com', eventName: 'CreateUser' }), rec({ eventSource: 'iam.amazonaws.com', eventName: 'PutBucketPolicy' })],
  },
  {
    name: 'condition: and, or, not, parentheses and precedence',
    detection: d(`
    a:
        eventName: A
    b:
        eventSource: b.amazonaws.com
    c:
        awsRegion: eu-west-1
    condition: a and not (b or c) or not a and b and c
`),
    yes: [rec({ eventName: 'A' }), rec({ eventName: 'X', eventSource: 'b.amazonaws.com', awsRegion: 'eu-west-1' })],
    no: [rec({ eventName: 'A', awsRegion: 'eu-west-1' }), rec({ eventName: 'X', eventSource: 'b.amazonaws.com' })],
  },
  {
    name: 'condition: 1 of X*, all of X*',
    detection: d(`
    sel_a:
        eventName: A
    sel_b:
        eventSource: b.amazonaws.com
    filter_x:
        awsRegion: eu-west-1
    filter_y:
        errorCode: E
    condition: all of sel_* and not 1 of filter_*
`),
    yes: [rec({ eventName: 'A', eventSource: 'b.amazonaws.com' })],
    no: [rec({ eventName: 'A' }), rec({ eventName: 'A', eventSource: 'b.amazonaws.com', errorCode: 'E' })],
  },
  {
    name: 'condition: 1 of them, all of them (leading _ left out)',
    detection: d(`
    one:
        eventName: A
    two:
        awsRegion: eu-west-1
    _helper:
        eventName: Never
    condition: all of them
`),
    yes: [rec({ eventName: 'A', awsRegion: 'eu-west-1' })],
    no: [rec({ eventName: 'A' })],
  },
  {
    name: 'a list of conditions is OR',
    detection: d(`
    one:
        eventName: A
    two:
        eventName: B
    condition:
        - one
        - two
`),
    yes: [rec({ eventName: 'A' }), rec({ eventName: 'b' })],
    no: [rec({ eventName: 'C' })],
  },
];

/** A whole rule document around a detection body. */
export function ruleText(detection: string, id = 'case'): string {
  return `title: ${id}\nid: ${id}\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n${detection}level: low\n`;
}
