import { errorCodeOf } from '@trailscope/model';
import { openSecret, sealSecret } from './secret-box';
import { deriveSecretKey, requireServerKey } from './server-key';

describe('secret box', () => {
  const key = deriveSecretKey('k'.repeat(40));

  it('round-trips and never contains the plain secret', () => {
    const sealed = sealSecret(key, 'TSKEY1', 'the-secret-value');
    expect(JSON.stringify(sealed)).not.toContain('the-secret-value');
    expect(openSecret(key, 'TSKEY1', sealed)).toBe('the-secret-value');
  });

  it('uses a fresh IV each time', () => {
    expect(sealSecret(key, 'A', 's').iv).not.toBe(sealSecret(key, 'A', 's').iv);
  });

  it('refuses another server key or another key id', () => {
    const sealed = sealSecret(key, 'TSKEY1', 'the-secret-value');
    expect(errorCodeOf(catchOf(() => openSecret(deriveSecretKey('x'.repeat(40)), 'TSKEY1', sealed)))).toBe('CONFIG_INVALID');
    expect(() => openSecret(key, 'TSKEY2', sealed)).toThrow(/TSKEY2/);
  });

  it('requires a server key of at least 32 characters', () => {
    expect(errorCodeOf(catchOf(() => requireServerKey(undefined)))).toBe('CONFIG_INVALID');
    expect(() => requireServerKey('short')).toThrow(/TRAILSCOPE_SERVER_KEY/);
    expect(requireServerKey('y'.repeat(32))).toBe('y'.repeat(32));
  });
});

function catchOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
