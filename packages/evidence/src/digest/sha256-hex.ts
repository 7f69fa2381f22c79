/**
 * A SHA-256 as a digest lists it, as 64 lower-case hex digits. Digests have been seen with a 63-digit
 * previousDigestHashValue: a hash whose first digit is 0 written as a number without its leading zero. Such a value
 * is padded back, which makes it equal the hash it stands for and nothing else, so no altered digest passes for it.
 * Undefined when the value is not hex at all, or longer than a SHA-256.
 */
export function sha256Hex(value: string | null | undefined): string | undefined {
  if (!value || !/^[0-9a-fA-F]{1,64}$/.test(value)) return undefined;
  return value.toLowerCase().padStart(64, '0');
}

/** What is odd about a listed hash, for a finding's message; empty when it is 64 hex digits. */
export function hashOddity(field: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return `; ${field} is absent`;
  if (!/^[0-9a-fA-F]+$/.test(value)) return `; ${field} is not hexadecimal`;
  if (value.length !== 64) return `; ${field} has ${value.length} hex digits, a SHA-256 has 64${value.length < 64 ? ' (compared as if left-padded with zeros)' : ''}`;
  return '';
}
