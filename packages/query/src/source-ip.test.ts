import { classifySourceIp } from './source-ip';

describe('classifySourceIp', () => {
  it.each(['203.0.113.7', '10.0.0.0/8', '0.0.0.0/0', '2001:db8::1', '2001:db8::/32'])('%s is an address', (v) => {
    expect(classifySourceIp(v)).toEqual({ kind: 'ip', value: v });
  });
  it.each(['ec2.amazonaws.com', 'AWS Internal', 'cloudformation.amazonaws.com'])('%s is a service name', (v) => {
    expect(classifySourceIp(v)).toEqual({ kind: 'name', value: v });
  });
  it.each(['10.0.0.300', '10.0.0.1/33', '2001:db8::/129', '10.0.0.0/', '10.0.0/8', '::zz', 'a/b', ''])('%j is rejected', (v) => {
    expect(classifySourceIp(v)).toBeUndefined();
  });
});
