import { createHash } from 'node:crypto';
import { hashOddity, sha256Hex } from './sha256-hex';

describe('sha256Hex', () => {
  // a hash with a leading zero digit, as some digests write it without that digit
  const data = Array.from({ length: 400 }, (_, i) => `digest-${i}`).find((s) => createHash('sha256').update(s).digest('hex').startsWith('0'))!;
  const full = createHash('sha256').update(data).digest('hex');

  it('pads a 63-digit hash back to the SHA-256 it stands for, and lower-cases', () => {
    expect(full).toHaveLength(64);
    expect(sha256Hex(full.slice(1))).toBe(full);
    expect(sha256Hex(full.toUpperCase())).toBe(full);
  });

  it('never makes another hash equal: a dropped digit that was not 0 stays different', () => {
    const other = createHash('sha256').update('x').digest('hex');
    expect(other.startsWith('0')).toBe(false);
    expect(sha256Hex(other.slice(1))).not.toBe(other);
  });

  it('refuses what is not a hex SHA-256', () => {
    expect(sha256Hex('zz')).toBeUndefined();
    expect(sha256Hex(`${full}0`)).toBeUndefined();
    expect(sha256Hex('')).toBeUndefined();
    expect(sha256Hex(null)).toBeUndefined();
  });

  it('says what is odd about a listed hash', () => {
    expect(hashOddity('previousDigestHashValue', full)).toBe('');
    expect(hashOddity('previousDigestHashValue', full.slice(1))).toContain('has 63 hex digits, a SHA-256 has 64');
    expect(hashOddity('hashValue', 'xyz')).toContain('not hexadecimal');
  });
});
