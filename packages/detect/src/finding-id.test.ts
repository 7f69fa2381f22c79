import { correlationFindingId, newTermsFindingId, singleFindingId } from './finding-id';

describe('finding ids', () => {
  it('are the same for the same rule version and event, whenever and wherever computed', () => {
    expect(singleFindingId('r1', 'v1', 'e1')).toBe(singleFindingId('r1', 'v1', 'e1'));
    expect(singleFindingId('r1', 'v1', 'e1')).toMatch(/^f-[0-9a-f]{40}$/);
    expect(correlationFindingId('r1', 'v1', 'sourceIPAddress=1.2.3.4', 1_700_000_000_000)).toBe(correlationFindingId('r1', 'v1', 'sourceIPAddress=1.2.3.4', 1_700_000_000_000));
  });

  it('differ when the rule, its version, the event, the group or the window differ', () => {
    const ids = [
      singleFindingId('r1', 'v1', 'e1'),
      singleFindingId('r2', 'v1', 'e1'),
      singleFindingId('r1', 'v2', 'e1'),
      singleFindingId('r1', 'v1', 'e2'),
      newTermsFindingId('r1', 'v1', 'e1'),
      correlationFindingId('r1', 'v1', 'g', 0),
      correlationFindingId('r1', 'v1', 'g', 300_000),
      correlationFindingId('r1', 'v1', 'h', 0),
      correlationFindingId('r1', 'v2', 'g', 0),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keep the parts apart: no concatenation of different parts gives the same id', () => {
    expect(singleFindingId('ab', 'c', 'd')).not.toBe(singleFindingId('a', 'bc', 'd'));
    expect(correlationFindingId('r', 'v', 'g1', 0)).not.toBe(correlationFindingId('r', 'v', 'g', 10));
  });
});
