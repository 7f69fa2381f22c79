import { redactUrl } from './request-log';

describe('redactUrl', () => {
  it('replaces cursor and NextToken values, whatever their case or encoding, and keeps the rest', () => {
    expect(redactUrl('/v1/events?pageSize=5&cursor=eyJ2IjoyfQ.abc&regions=us-east-1')).toBe('/v1/events?pageSize=5&cursor=[redacted]&regions=us-east-1');
    expect(redactUrl('/?NextToken=abc&nexttoken=def')).toBe('/?NextToken=[redacted]&nexttoken=[redacted]');
    expect(redactUrl('/v1/events?%63ursor=abc')).toBe('/v1/events?%63ursor=[redacted]');
    expect(redactUrl('/v1/events?X-Amz-Signature=abc')).toBe('/v1/events?X-Amz-Signature=[redacted]');
    expect(redactUrl('/v1/events')).toBe('/v1/events');
    expect(redactUrl('/v1/events?cursors=1&text=cursor')).toBe('/v1/events?cursors=1&text=cursor');
  });
});
