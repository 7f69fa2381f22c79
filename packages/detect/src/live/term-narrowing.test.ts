import { TermNarrowing } from './term-narrowing';

describe('TermNarrowing', () => {
  it('collects the distinct values of indexed term fields as terms filters on the index field names', () => {
    const n = new TermNarrowing([{ field: 'userIdentity.arn' }, { field: 'awsRegion' }]);
    n.add({ userIdentity: { arn: 'arn:a' }, awsRegion: 'us-east-1' });
    n.add({ userIdentity: { arn: 'arn:b' }, awsRegion: 'us-east-1' });
    n.add({ userIdentity: { arn: 'arn:a' }, awsRegion: 'eu-west-1' });
    expect(n.filter()).toEqual({
      bool: { filter: [{ terms: { 'userIdentity.arn': ['arn:a', 'arn:b'] } }, { terms: { region: ['us-east-1', 'eu-west-1'] } }] },
    });
  });

  it('maps session issuer paths to their index fields and compares scalars as text, fanning out over arrays', () => {
    const n = new TermNarrowing([{ field: 'userIdentity.sessionContext.sessionIssuer.arn' }, { field: 'recipientAccountId' }]);
    n.add({ userIdentity: { sessionContext: { sessionIssuer: { arn: 'arn:role' } } }, recipientAccountId: 111122223333 });
    expect(n.filter()).toEqual({
      bool: { filter: [{ terms: { 'userIdentity.sessionIssuer.arn': ['arn:role'] } }, { terms: { account: ['111122223333'] } }] },
    });
    const arrays = new TermNarrowing([{ field: 'eventName' }]);
    arrays.add({ eventName: ['A', 'B'] });
    expect(arrays.filter()).toEqual({ bool: { filter: [{ terms: { eventName: ['A', 'B'] } }] } });
  });

  it('does not narrow on fields the index does not hold as terms, nor on networks', () => {
    const n = new TermNarrowing([{ field: 'requestParameters.bucketName' }, { field: 'sourceIPAddress', networkBits: 16 }]);
    n.add({ requestParameters: { bucketName: 'b' }, sourceIPAddress: '198.51.100.7' });
    expect(n.filter()).toBeUndefined();
  });

  it('gives up a field (never a wrong filter) when a record lacks it, a value is too long to be a term, or values are too many', () => {
    const absent = new TermNarrowing([{ field: 'eventName' }, { field: 'awsRegion' }]);
    absent.add({ eventName: 'A', awsRegion: 'us-east-1' });
    absent.add({ eventName: 'B' });
    absent.add({ eventName: 'C', awsRegion: 'eu-west-1' });
    expect(absent.filter()).toEqual({ bool: { filter: [{ terms: { eventName: ['A', 'B', 'C'] } }] } });

    const long = new TermNarrowing([{ field: 'userAgent' }]);
    long.add({ userAgent: 'x'.repeat(1025) });
    long.add({ userAgent: 'short' });
    expect(long.filter()).toBeUndefined();

    const many = new TermNarrowing([{ field: 'sourceIPAddress' }], 3);
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) many.add({ sourceIPAddress: ip });
    expect(many.filter()).toEqual({ bool: { filter: [{ terms: { sourceIPAddress: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] } }] } });
    many.add({ sourceIPAddress: '10.0.0.4' });
    expect(many.filter()).toBeUndefined();
  });

  it('ignores null values and objects where a scalar was expected, treating them as absent', () => {
    const n = new TermNarrowing([{ field: 'errorCode' }]);
    n.add({ errorCode: null });
    expect(n.filter()).toBeUndefined();
  });
});
