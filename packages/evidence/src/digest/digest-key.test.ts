import { logFileStampMs, parseDigestKey } from './digest-key';

describe('digest and log file keys', () => {
  it('read account, region, trail (underscores allowed), trail region and delivery time from a digest key', () => {
    expect(parseDigestKey('p/AWSLogs/o-aaaaaaaaaa/123456789012/CloudTrail-Digest/eu-west-1/2026/03/01/123456789012_CloudTrail-Digest_eu-west-1_my_org_trail_us-east-1_20260301T013649Z.json.gz')).toEqual({
      account: '123456789012',
      region: 'eu-west-1',
      trailName: 'my_org_trail',
      trailRegion: 'us-east-1',
      stampMs: Date.parse('2026-03-01T01:36:49Z'),
    });
    expect(parseDigestKey('AWSLogs/123456789012/CloudTrail/eu-west-1/2026/03/01/123456789012_CloudTrail_eu-west-1_20260301T0135Z_abc.json.gz')).toBeUndefined();
    expect(parseDigestKey('AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2026/03/01/123456789012_CloudTrail-Digest_eu-west-1_t_us-east-1_20261301T013649Z.json.gz')).toBeUndefined();
  });

  it('read the delivery minute of a log file key', () => {
    expect(logFileStampMs('AWSLogs/123456789012/CloudTrail/us-west-2/2020/09/11/123456789012_CloudTrail_us-west-2_20200911T1930Z_l2pGqVS53QcGdAkp.json.gz')).toBe(Date.parse('2020-09-11T19:30:00Z'));
    expect(logFileStampMs('AWSLogs/123456789012/CloudTrail/us-west-2/2020/09/11/readme.txt')).toBeUndefined();
  });
});
