import { hkdfSync } from 'node:crypto';
import { TrailscopeError } from '@trailscope/model';

export const MIN_SERVER_KEY_CHARS = 32;

/**
 * The server key from configuration (TRAILSCOPE_SERVER_KEY). API keys' secrets are stored encrypted under it:
 * SigV4 verification needs each secret itself, so a one-way hash will not do. Without it nothing may start.
 */
export function requireServerKey(serverKey: string | undefined): string {
  if (!serverKey) {
    throw new TrailscopeError(
      'CONFIG_INVALID',
      'TRAILSCOPE_SERVER_KEY is not set: API key secrets are encrypted with it (use at least 32 random characters, e.g. `openssl rand -hex 32`)',
      { context: { variable: 'TRAILSCOPE_SERVER_KEY' } },
    );
  }
  if (serverKey.length < MIN_SERVER_KEY_CHARS) {
    throw new TrailscopeError('CONFIG_INVALID', `TRAILSCOPE_SERVER_KEY must be at least ${MIN_SERVER_KEY_CHARS} characters`, {
      context: { variable: 'TRAILSCOPE_SERVER_KEY' },
    });
  }
  return serverKey;
}

/** The AES-256 key for secrets, derived with HKDF so the configured text itself never keys the cipher. */
export function deriveSecretKey(serverKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(serverKey, 'utf8'), 'trailscope/api-keys', 'secret-encryption-v1', 32));
}
