import { fileIdFor, jobIdFor, partitionIdFor, partitionOfKey } from './job-id';
import { formatFailure, parseFailure } from './failure-reason';
import { partitionDigest } from './done-tracker';
import { parseIngestJob } from './ingest-job';
import { TrailscopeError } from '@trailscope/model';

const ref = { bucket: 'b', key: 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/x.json.gz', etag: 'abc' };

describe('jobIdFor', () => {
  it('is deterministic, colon-free and changes with the etag', () => {
    expect(jobIdFor(ref)).toBe(jobIdFor({ ...ref }));
    expect(jobIdFor(ref)).toMatch(/^f[0-9a-f]{32}$/);
    expect(jobIdFor({ ...ref, etag: 'abd' })).not.toBe(jobIdFor(ref));
    expect(jobIdFor({ ...ref, bucket: 'c' })).not.toBe(jobIdFor(ref));
  });
  it('derives partition and file ids from the key', () => {
    expect(partitionOfKey(ref.key)).toBe('AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/');
    expect(partitionIdFor('b', 'p/')).not.toBe(partitionIdFor('b2', 'p/'));
    expect(fileIdFor(ref)).toHaveLength(16);
  });
});

describe('failure reasons', () => {
  it('round-trips the error code through the BullMQ reason string', () => {
    const reason = formatFailure(new TrailscopeError('NOT_GZIP', 's3://b/k is not gzip'));
    expect(reason).toBe('[NOT_GZIP] s3://b/k is not gzip');
    expect(parseFailure(reason)).toEqual({ code: 'NOT_GZIP', message: 's3://b/k is not gzip' });
  });
  it('maps foreign reasons to INTERNAL', () => {
    expect(parseFailure('job stalled more than allowable limit')).toEqual({ code: 'INTERNAL', message: 'job stalled more than allowable limit' });
    expect(parseFailure('[NOPE] x').code).toBe('INTERNAL');
  });
});

describe('partitionDigest', () => {
  it('ignores order and depends on keys and etags', () => {
    const a = { ...ref, key: 'a' };
    const b = { ...ref, key: 'b' };
    expect(partitionDigest([a, b])).toBe(partitionDigest([b, a]));
    expect(partitionDigest([a, b])).not.toBe(partitionDigest([a, { ...b, etag: 'z' }]));
  });
});

describe('parseIngestJob', () => {
  it('accepts valid data and names the bad field otherwise', () => {
    const data = { ...ref, size: 10, kind: 'log', account: '111122223333', region: 'us-east-1' };
    expect(parseIngestJob(data)).toEqual(data);
    expect(() => parseIngestJob({ ...data, account: 'x' }, 'j1')).toThrow(/j1.*account/);
  });
});
