import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';

export const MIN_SERVER_KEY_CHARS = 32;

/**
 * The server key from configuration (TRAILSCOPE_SERVER_KEY), which secrets stored in OpenSearch are encrypted
 * under. `purpose` says what needs it, for the message when it is missing.
 */
export function requireServerKey(serverKey: string | undefined, purpose = 'API key secrets are encrypted with it'): string {
  if (!serverKey) {
    throw new TrailscopeError('CONFIG_INVALID', `TRAILSCOPE_SERVER_KEY is not set: ${purpose} (use at least 32 random characters, e.g. \`openssl rand -hex 32\`)`, {
      context: { variable: 'TRAILSCOPE_SERVER_KEY' },
    });
  }
  if (serverKey.length < MIN_SERVER_KEY_CHARS) {
    throw new TrailscopeError('CONFIG_INVALID', `TRAILSCOPE_SERVER_KEY must be at least ${MIN_SERVER_KEY_CHARS} characters`, {
      context: { variable: 'TRAILSCOPE_SERVER_KEY' },
    });
  }
  return serverKey;
}

/**
 * An AES-256 key for one use of the server key, derived with HKDF-SHA256 (`salt` names the use), so the configured
 * text itself never keys the cipher and one use's ciphertexts never open under another's key.
 */
export function deriveSecretKey(serverKey: string, salt = 'trailscope/api-keys'): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(serverKey, 'utf8'), salt, 'secret-encryption-v1', 32));
}

export const SealedSecretSchema = z.strictObject({
  alg: z.literal('AES-256-GCM'),
  iv: z.string(),
  tag: z.string(),
  ct: z.string(),
});
export type SealedSecret = z.output<typeof SealedSecretSchema>;

/** AES-256-GCM with a fresh IV; `aad` (an id) is bound as associated data so a ciphertext cannot be moved to another. */
export function sealSecret(key: Buffer, aad: string, secret: string): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return { alg: 'AES-256-GCM', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
}

/** Opens a sealed secret; a wrong key, id or a changed byte is a CONFIG_INVALID naming `what`. */
export function openSecret(key: Buffer, aad: string, sealed: SealedSecret, what: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new TrailscopeError('CONFIG_INVALID', `${what} cannot be decrypted; was TRAILSCOPE_SERVER_KEY changed?`, {
      cause: err,
      context: { variable: 'TRAILSCOPE_SERVER_KEY' },
    });
  }
}
