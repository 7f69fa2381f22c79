import type { Scope } from '@trailscope/query';
import type { ApiKeyInfo } from '../keys/key-store';

export interface AuthContext {
  key: ApiKeyInfo;
  scope: Scope;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyContextConfig {
    /** How the route authenticates: bearer API key (default), SigV4 in the handler, or none. */
    auth?: 'bearer' | 'sigv4' | 'none';
  }
}
