import { parseSelection } from './flags';

describe('ingest flags', () => {
  it('validates the selection and names the offending flag', () => {
    expect(parseSelection({ bucket: 'my-trail', from: '2026-03-01', to: '2026-03-02', account: ['123456789012'], region: ['eu-west-1'] })).toEqual({
      bucket: 'my-trail',
      prefix: undefined,
      from: '2026-03-01',
      to: '2026-03-02',
      accounts: ['123456789012'],
      regions: ['eu-west-1'],
    });
    expect(() => parseSelection({ bucket: 'B!' })).toThrow(/--bucket/);
    expect(() => parseSelection({ bucket: 'b-1', from: '2026-13-01' })).toThrow(/--from/);
    expect(() => parseSelection({ bucket: 'b-1', from: '2026-03-02', to: '2026-03-01' })).toThrow(/--from 2026-03-02 is after --to/);
    expect(() => parseSelection({ bucket: 'b-1', account: ['12345'] })).toThrow(/--account "12345"/);
    expect(() => parseSelection({ bucket: 'b-1', region: ['moon'] })).toThrow(/--region "moon"/);
  });
});
