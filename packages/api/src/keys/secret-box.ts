import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';

export const SealedSecretSchema = z.strictObject({
  alg: z.literal('AES-256-GCM'),
  iv: z.string(),
  tag: z.string(),
  ct: z.string(),
});
export type SealedSecret = z.output<typeof SealedSecretSchema>;

/** Encrypts with a fresh IV; the key id is bound as associated data so a ciphertext cannot be moved to another key. */
export function sealSecret(key: Buffer, keyId: string, secret: string): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyId, 'utf8'));
  const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return { alg: 'AES-256-GCM', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
}

export function openSecret(key: Buffer, keyId: string, sealed: SealedSecret): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new TrailscopeError('CONFIG_INVALID', `API key ${keyId}: secret cannot be decrypted; was TRAILSCOPE_SERVER_KEY changed?`, {
      cause: err,
      context: { keyId, variable: 'TRAILSCOPE_SERVER_KEY' },
    });
  }
}
