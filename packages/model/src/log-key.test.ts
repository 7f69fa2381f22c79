import { normalizePrefix, parseLogKey, partitionPrefix } from './log-key';

const A = '123456789012';

describe('parseLogKey', () => {
  it('reads log, insight and digest keys, with or without an organization and a prefix', () => {
    expect(parseLogKey(`AWSLogs/${A}/CloudTrail/eu-west-1/2026/03/01/${A}_CloudTrail_eu-west-1_20260301T0000Z_abc.json.gz`)).toEqual({
      kind: 'log',
      prefix: '',
      account: A,
      region: 'eu-west-1',
      deliveryDate: '2026-03-01',
    });
    expect(parseLogKey(`trails/org/AWSLogs/o-abcdefghij/${A}/CloudTrail-Insight/us-east-1/2026/12/31/x.json.gz`)).toEqual({
      kind: 'insight',
      prefix: 'trails/org/',
      orgId: 'o-abcdefghij',
      account: A,
      region: 'us-east-1',
      deliveryDate: '2026-12-31',
    });
    expect(parseLogKey(`AWSLogs/${A}/CloudTrail-Digest/us-east-1/2026/03/01/d.json.gz`)).toEqual(expect.objectContaining({ kind: 'digest', skipReason: 'digest' }));
  });

  it('gives every other object a skip reason', () => {
    expect(parseLogKey(`AWSLogs/${A}/CloudTrail/us-east-1/2026/03/01/`)).toEqual({ kind: 'other', skipReason: 'folder', prefix: '' });
    expect(parseLogKey(`AWSLogs/${A}/CloudTrail/us-east-1/2026/03/01/notes.txt`)).toEqual(expect.objectContaining({ kind: 'other', skipReason: 'not-json-gz', account: A }));
    for (const key of ['readme.txt', `AWSLogs/${A}/elasticloadbalancing/us-east-1/2026/03/01/x.log.gz`, `AWSLogs/12345/CloudTrail/us-east-1/2026/03/01/x.json.gz`, `AWSLogs/${A}/CloudTrail/us-east-1/2026/03/x.json.gz`]) {
      expect([key, parseLogKey(key)]).toEqual([key, { kind: 'other', skipReason: 'not-cloudtrail', prefix: '' }]);
    }
  });
});

describe('partitionPrefix and normalizePrefix', () => {
  it('build the listing prefix of a partition that parseLogKey reads back', () => {
    const prefix = partitionPrefix({ prefix: '/trails/', orgId: 'o-abcdefghij', account: A, kind: 'insight', region: 'us-east-1', date: '2026-03-01' });
    expect(prefix).toBe(`trails/AWSLogs/o-abcdefghij/${A}/CloudTrail-Insight/us-east-1/2026/03/01/`);
    expect(parseLogKey(`${prefix}f.json.gz`)).toEqual(expect.objectContaining({ kind: 'insight', prefix: 'trails/', orgId: 'o-abcdefghij', deliveryDate: '2026-03-01' }));
    expect(partitionPrefix({ prefix: '', account: A, kind: 'log', region: 'eu-west-1', date: '2026-03-02' })).toBe(`AWSLogs/${A}/CloudTrail/eu-west-1/2026/03/02/`);
  });

  it('normalizePrefix keeps exactly one trailing slash', () => {
    expect([undefined, '', '/', 'a', 'a/', '//a/b//'].map(normalizePrefix)).toEqual(['', '', '', 'a/', 'a/', 'a/b/']);
  });
});
