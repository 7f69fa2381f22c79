import { classifyObject } from './classify-object';
import { toS3Error } from './s3-error';

const obj = (key: string, size = 100) => ({ key, size, etag: 'e' });

describe('classifyObject', () => {
  it('accepts log and insight files from plain and organization trails', () => {
    const log = classifyObject('b', obj('p/AWSLogs/o-abcdefghij/111122223333/CloudTrail/us-east-1/2026/03/01/111122223333_CloudTrail_us-east-1_20260301T0000Z_abcdefabcdefabcd.json.gz'));
    expect(log).toEqual({ file: expect.objectContaining({ kind: 'log', orgId: 'o-abcdefghij', account: '111122223333', region: 'us-east-1', deliveryDate: '2026-03-01', bucket: 'b' }) });
    const insight = classifyObject('b', obj('AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/03/01/x.json.gz'));
    expect(insight).toEqual({ file: expect.objectContaining({ kind: 'insight' }) });
  });
  it('gives a reason for everything else', () => {
    expect(classifyObject('b', obj('AWSLogs/111122223333/', 0))).toEqual({ skip: 'folder' });
    expect(classifyObject('b', obj('AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/01/d.json.gz'))).toEqual({ skip: 'digest' });
    expect(classifyObject('b', obj('AWSLogs/111122223333/elasticloadbalancing/x.log'))).toEqual({ skip: 'not-cloudtrail' });
    expect(classifyObject('b', obj('AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/x.txt'))).toEqual({ skip: 'not-json-gz' });
  });
});

describe('toS3Error', () => {
  const target = { bucket: 'b', key: 'k', operation: 'GetObject' };
  it('maps S3 errors to codes and names the object', () => {
    const e = toS3Error(Object.assign(new Error('nope'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }), target);
    expect(e.code).toBe('S3_NOT_FOUND');
    expect(e.message).toContain('s3://b/k');
    expect(toS3Error(Object.assign(new Error('x'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }), target).code).toBe('S3_ACCESS_DENIED');
    expect(toS3Error(Object.assign(new Error('x'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }), target).code).toBe('S3_UNAVAILABLE');
    expect(toS3Error(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), target).retryable).toBe(true);
  });
});
