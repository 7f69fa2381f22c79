import { deriveSecretKey as derive, requireServerKey as requireKey } from '@trailscope/runtime';

/**
 * API keys' secrets are stored encrypted under the server key (TRAILSCOPE_SERVER_KEY): SigV4 verification needs
 * each secret itself, so a one-way hash will not do. Without it nothing may start.
 */
export function requireServerKey(serverKey: string | undefined): string {
  return requireKey(serverKey, 'API key secrets are encrypted with it');
}

export function deriveSecretKey(serverKey: string): Buffer {
  return derive(serverKey, 'trailscope/api-keys');
}
