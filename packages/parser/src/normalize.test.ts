import { errorCodeOf } from '@trailscope/model';
import type { LogSource } from './log-source';
import { isIP, isIPv4 } from 'node:net';
import { isIPv4Text, MAX_FREE_FORM_LEAF_CHARS, normalize, normalizeOrReason, tryNormalize } from './normalize';

const SOURCE: LogSource = { bucket: 'b', key: 'k', etag: 'e', kind: 'log', account: '111111111111', region: 'eu-west-1' };
const AT = '2026-03-02T00:00:00.000Z';

const ASSUMED_ROLE = {
  eventVersion: '1.09',
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLE:alice',
    arn: 'arn:aws:sts::222222222222:assumed-role/Admin/alice',
    accountId: '222222222222',
    accessKeyId: 'ASIAEXAMPLE',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: 'arn:aws:iam::222222222222:role/Admin', accountId: '222222222222', userName: 'Admin' },
      attributes: { creationDate: '2026-03-01T09:00:00Z', mfaAuthenticated: 'true' },
    },
  },
  eventTime: '2026-03-01T10:00:00Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'CreateUser',
  awsRegion: 'us-east-1',
  sourceIPAddress: '2001:db8::1',
  userAgent: 'aws-cli/2.15.0',
  errorCode: 'AccessDenied',
  errorMessage: 'not allowed',
  requestParameters: { userName: 'bob', tags: [{ key: 'a', value: 1 }] },
  responseElements: null,
  additionalEventData: 'a string where an object is expected',
  requestID: 'req-1',
  eventID: 'evt-1',
  readOnly: false,
  resources: [{ ARN: 'arn:aws:iam::222222222222:user/bob', type: 'AWS::IAM::User', accountId: '222222222222' }, 'junk'],
  eventType: 'AwsApiCall',
  managementEvent: true,
  recipientAccountId: '222222222222',
  eventCategory: 'Management',
  sharedEventID: 'shared-1',
  vpcEndpointId: 'vpce-1',
  tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'iam.amazonaws.com' },
};

describe('normalize', () => {
  it('maps the searched fields of a full record', () => {
    const raw = JSON.stringify(ASSUMED_ROLE);
    const doc = normalize(ASSUMED_ROLE, raw, SOURCE, AT);
    expect(doc).toMatchObject({
      id: 'evt-1',
      eventTime: '2026-03-01T10:00:00Z',
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateUser',
      account: '222222222222',
      region: 'us-east-1',
      readOnly: false,
      managementEvent: true,
      errorCode: 'AccessDenied',
      sourceIPAddress: '2001:db8::1',
      sourceIp: '2001:db8::1',
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::222222222222:assumed-role/Admin/alice',
        accessKeyId: 'ASIAEXAMPLE',
        mfaAuthenticated: true,
        sessionIssuer: { arn: 'arn:aws:iam::222222222222:role/Admin', userName: 'Admin', type: 'Role' },
      },
      resources: [{ ARN: 'arn:aws:iam::222222222222:user/bob', type: 'AWS::IAM::User', accountId: '222222222222' }],
      tlsDetails: { tlsVersion: 'TLSv1.3' },
      requestParameters: { userName: 'bob', tags: [{ key: 'a', value: 1 }] },
      additionalEventData: { _value: 'a string where an object is expected' },
      raw,
      ingest: { bucket: 'b', key: 'k', etag: 'e', ingestedAt: AT, kind: 'log' },
    });
    expect(doc.responseElements).toBeUndefined();
    expect(doc.orgId).toBeUndefined();
  });

  it('falls back to the key account and region, and keeps a service name out of sourceIp', () => {
    const doc = normalize({ eventTime: '2026-03-01T10:00:00Z', eventSource: 's', eventName: 'n', sourceIPAddress: 'ec2.amazonaws.com' }, '{}', SOURCE, AT);
    expect(doc.account).toBe('111111111111');
    expect(doc.region).toBe('eu-west-1');
    expect(doc.sourceIPAddress).toBe('ec2.amazonaws.com');
    expect(doc.sourceIp).toBeUndefined();
    expect(normalize({ eventTime: '2026-03-01T10:00:00Z', eventSource: 's', eventName: 'n', sourceIPAddress: '192.0.2.7' }, '{}', SOURCE, AT).sourceIp).toBe('192.0.2.7');
  });

  it('reads mfaAuthenticated "false" as false and leaves it out when absent', () => {
    const rec = (v?: string) => ({
      eventTime: '2026-03-01T10:00:00Z',
      eventSource: 's',
      eventName: 'n',
      userIdentity: { type: 'IAMUser', sessionContext: { attributes: v === undefined ? {} : { mfaAuthenticated: v } } },
    });
    expect(normalize(rec('false'), '{}', SOURCE, AT).userIdentity?.mfaAuthenticated).toBe(false);
    expect(normalize(rec(), '{}', SOURCE, AT).userIdentity?.mfaAuthenticated).toBeUndefined();
  });

  it('takes eventSource and eventName of Insights records from insightDetails', () => {
    const insight = {
      eventVersion: '1.07',
      eventTime: '2026-03-01T10:00:00Z',
      awsRegion: 'us-east-1',
      eventID: 'ins-1',
      eventType: 'AwsCloudTrailInsight',
      recipientAccountId: '222222222222',
      insightDetails: { state: 'Start', eventSource: 'ssm.amazonaws.com', eventName: 'UpdateInstanceAssociationStatus', insightType: 'ApiCallRateInsight' },
      eventCategory: 'Insight',
    };
    const doc = normalize(insight, JSON.stringify(insight), { ...SOURCE, kind: 'insight' }, AT);
    expect(doc).toMatchObject({ eventSource: 'ssm.amazonaws.com', eventName: 'UpdateInstanceAssociationStatus', ingest: { kind: 'insight' } });
    expect(doc.insightDetails).toEqual(insight.insightDetails);
  });

  it('rewrites other date spellings as ISO-8601 UTC and rejects non-dates', () => {
    const at = (eventTime: unknown) => tryNormalize({ eventTime, eventSource: 's', eventName: 'n' }, '{}', SOURCE, AT);
    const r = at('2026-03-01T10:00:00+02:00');
    expect(r.ok && r.doc.eventTime).toBe('2026-03-01T08:00:00.000Z');
    expect(at('2026-03-01T10:00:00.123Z').ok && (at('2026-03-01T10:00:00.123Z') as { doc: { eventTime: string } }).doc.eventTime).toBe('2026-03-01T10:00:00.123Z');
    const rolled = at('2026-03-01T24:00:00Z');
    expect(rolled.ok && rolled.doc.eventTime).toBe('2026-03-02T00:00:00.000Z');
    expect(at('not a date')).toEqual({ ok: false, reason: 'record eventTime "not a date" is not a date' });
    expect(at(1700000000)).toEqual({ ok: false, reason: 'record eventTime 1700000000 is not a date' });
    expect(at(undefined)).toEqual({ ok: false, reason: 'record has no eventTime' });
  });

  it('throws RECORD_INVALID naming the file when a required field is missing', () => {
    let code = '';
    try {
      normalize({ eventTime: '2026-03-01T10:00:00Z', eventName: 'n' }, '{}', SOURCE, AT);
    } catch (err) {
      code = errorCodeOf(err);
      expect((err as Error).message).toBe('s3://b/k: record has no eventSource');
    }
    expect(code).toBe('RECORD_INVALID');
  });

  it('truncates very long strings inside free-form objects but keeps raw whole', () => {
    const long = 'x'.repeat(MAX_FREE_FORM_LEAF_CHARS + 500);
    const record = { eventTime: '2026-03-01T10:00:00Z', eventSource: 's', eventName: 'n', requestParameters: { policy: long, list: [long, 1], keep: 'short' } };
    const raw = JSON.stringify(record);
    const doc = normalize(record, raw, SOURCE, AT);
    const rp = doc.requestParameters as { policy: string; list: [string, number]; keep: string };
    expect(rp.policy).toHaveLength(MAX_FREE_FORM_LEAF_CHARS);
    expect(rp.list[0]).toHaveLength(MAX_FREE_FORM_LEAF_CHARS);
    expect(rp.list[1]).toBe(1);
    expect(rp.keep).toBe('short');
    expect(doc.raw).toBe(raw);
    expect(record.requestParameters.policy).toHaveLength(MAX_FREE_FORM_LEAF_CHARS + 500);
  });

  it('does not split a surrogate pair when truncating', () => {
    const v = `${'a'.repeat(MAX_FREE_FORM_LEAF_CHARS - 1)}😀tail`;
    const record = { eventTime: '2026-03-01T10:00:00Z', eventSource: 's', eventName: 'n', requestParameters: { v } };
    const rp = normalize(record, JSON.stringify(record), SOURCE, AT).requestParameters as { v: string };
    expect(rp.v).toBe('a'.repeat(MAX_FREE_FORM_LEAF_CHARS - 1));
  });

  it('wraps free-form arrays and scalars so flat_object accepts them', () => {
    const doc = normalize({ eventTime: '2026-03-01T10:00:00Z', eventSource: 's', eventName: 'n', requestParameters: [1, 2], serviceEventDetails: 5 }, '{}', SOURCE, AT);
    expect(doc.requestParameters).toEqual({ _value: [1, 2] });
    expect(doc.serviceEventDetails).toEqual({ _value: 5 });
  });

  it('uses "unknown" as the account only when neither the record nor the key has one', () => {
    const doc = normalize({ eventTime: '2026-03-01T10:00:00Z', eventSource: 's', eventName: 'n' }, '{}', { bucket: 'b', key: 'k', etag: 'e', kind: 'log' }, AT);
    expect(doc.account).toBe('unknown');
  });

  it('sets sourceIp exactly when net.isIP accepts sourceIPAddress', () => {
    const samples = [
      '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3.04', '1.2.3', '1.2.3.4.', '.1.2.3.4', '1..2.3', '1.2.3.4 ',
      ' 1.2.3.4', '1.2.3.4\n', '100.200.249.250', '1000.1.1.1', '\uff11.2.3.4', '::', '::1', '2001:db8::1', 'fe80::1%eth0',
      '::ffff:1.2.3.4', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', 'ec2.amazonaws.com', 'AWS Internal', '', ':', 'a:b',
    ];
    // and every short string over the characters that matter
    const alphabet = ['0', '1', '2', '5', '9', '.', ':'];
    let seed = 7;
    for (let n = 0; n < 20_000; n++) {
      let v = '';
      const length = 1 + (n % 16);
      for (let i = 0; i < length; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        v += alphabet[seed % alphabet.length];
      }
      samples.push(v);
    }
    for (const ip of samples) {
      expect([ip, isIPv4Text(ip)]).toEqual([ip, isIPv4(ip)]);
      const doc = normalize({ eventTime: '2026-03-01T10:00:00Z', eventSource: 's', eventName: 'n', sourceIPAddress: ip }, '{}', SOURCE, AT);
      expect([ip, doc.sourceIp]).toEqual([ip, ip !== '' && isIP(ip) !== 0 ? ip : undefined]);
    }
  });

  it('normalizeOrReason gives tryNormalize\'s document or reason, unwrapped', () => {
    const raw = JSON.stringify(ASSUMED_ROLE);
    expect(normalizeOrReason(ASSUMED_ROLE, raw, SOURCE, AT)).toEqual(normalize(ASSUMED_ROLE, raw, SOURCE, AT));
    expect(normalizeOrReason([1], '[1]', SOURCE, AT)).toBe('record is an array, not an object');
    expect(tryNormalize([1], '[1]', SOURCE, AT)).toEqual({ ok: false, reason: 'record is an array, not an object' });
  });
});
