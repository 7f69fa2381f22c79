import { openSecret as openSealed, type SealedSecret } from '@trailscope/runtime';

export { SealedSecretSchema, sealSecret, type SealedSecret } from '@trailscope/runtime';

export function openSecret(key: Buffer, keyId: string, sealed: SealedSecret): string {
  return openSealed(key, keyId, sealed, `API key ${keyId}: secret`);
}
