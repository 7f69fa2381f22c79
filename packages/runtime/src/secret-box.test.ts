import { errorCodeOf } from '@trailscope/model';
import { deriveSecretKey, openSecret, requireServerKey, sealSecret } from './secret-box';

function failureOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('secret box', () => {
  const key = deriveSecretKey('k'.repeat(40), 'trailscope/test');

  it('round-trips without the plain text in the sealed form, a fresh IV each time', () => {
    const sealed = sealSecret(key, 'ns/config', 'secret: the-secret-value');
    expect(JSON.stringify(sealed)).not.toContain('the-secret-value');
    expect(openSecret(key, 'ns/config', sealed, 'the test config')).toBe('secret: the-secret-value');
    expect(sealSecret(key, 'a', 's').iv).not.toBe(sealSecret(key, 'a', 's').iv);
  });

  it('refuses another server key, another use (salt), another id and a changed byte, naming what it opened', () => {
    const sealed = sealSecret(key, 'ns/config', 'x');
    const cases = [
      () => openSecret(deriveSecretKey('z'.repeat(40), 'trailscope/test'), 'ns/config', sealed, 'the test config'),
      () => openSecret(deriveSecretKey('k'.repeat(40), 'trailscope/other'), 'ns/config', sealed, 'the test config'),
      () => openSecret(key, 'other/config', sealed, 'the test config'),
      () => openSecret(key, 'ns/config', { ...sealed, ct: Buffer.from('y').toString('base64') }, 'the test config'),
    ];
    for (const c of cases) {
      const err = failureOf(c);
      expect(errorCodeOf(err)).toBe('CONFIG_INVALID');
      expect(err.message).toBe('the test config cannot be decrypted; was TRAILSCOPE_SERVER_KEY changed?');
    }
  });

  it('requires a server key of at least 32 characters, saying what needs it', () => {
    expect(failureOf(() => requireServerKey(undefined, 'alerts need it')).message).toMatch(/^TRAILSCOPE_SERVER_KEY is not set: alerts need it/);
    expect(failureOf(() => requireServerKey('short')).message).toBe('TRAILSCOPE_SERVER_KEY must be at least 32 characters');
    expect(requireServerKey('y'.repeat(32))).toBe('y'.repeat(32));
  });
});
