import { conflictReason } from './conflicts-index';

describe('conflictReason', () => {
  const stored = '{"eventID":"e","eventTime":"2026-03-01T00:00:00Z","eventName":"GetObject","requestParameters":{"a":1}}';

  it('names the differing fields, with both eventTimes when they differ', () => {
    expect(conflictReason('e', 'ns-events-2026.03.01', stored, '{"eventID":"e","eventTime":"2026-03-02T00:00:00Z","eventName":"GetObject","requestParameters":{"a":1}}')).toBe(
      'event id e is already stored in ns-events-2026.03.01 with different content: field eventTime differs (eventTime stored 2026-03-01T00:00:00Z, this copy 2026-03-02T00:00:00Z)',
    );
    expect(conflictReason('e', 'i', stored, '{"eventID":"e","eventTime":"2026-03-01T00:00:00Z","eventName":"PutObject","requestParameters":{"a":2},"x":true}')).toBe(
      'event id e is already stored in i with different content: fields eventName, requestParameters, x differ',
    );
  });

  it('says when only the spelling differs, when the texts are not objects, and when the stored copy is unreadable', () => {
    expect(conflictReason('e', 'i', stored, stored.replace(',', ', '))).toMatch(/the same fields and values, written differently/);
    expect(conflictReason('e', 'i', stored, '[1]')).toMatch(/the raw texts differ$/);
    expect(conflictReason('e', 'i', undefined, stored)).toMatch(/could not be read/);
  });
});
