import { randomBytes } from 'node:crypto';
import { createPitLimiter, deriveCursorKey, type SearchOptions } from '@trailscope/query';

export const DEFAULT_MAX_PITS_PER_KEY = 10;

export interface SearchCursors {
  /** Options binding a search's cursors to the API key that asked, under this server's cursor key. */
  optionsFor(keyId: string): Pick<SearchOptions, 'cursorBinding' | 'pitLimiter'>;
}

/**
 * Cursors (and LookupEvents NextTokens) of this API: MAC'd under a key derived from the server key for the
 * namespace, so every API process of a deployment continues each other's cursors and no other namespace's or
 * deployment's verify; points in time capped per API key in this process. Without a server key (tests building a
 * bare server) the key is drawn at random, and cursors are good in this process only.
 */
export function createSearchCursors(options: { serverKey?: string; namespace: string; maxPitsPerKey?: number }): SearchCursors {
  const key = deriveCursorKey(options.serverKey ?? randomBytes(32), options.namespace);
  const pitLimiter = createPitLimiter({ maxPerPrincipal: options.maxPitsPerKey ?? DEFAULT_MAX_PITS_PER_KEY });
  return {
    optionsFor: (keyId) => ({ cursorBinding: { key, principal: keyId }, pitLimiter }),
  };
}
