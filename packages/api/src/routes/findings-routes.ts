import type { FastifyInstance } from 'fastify';
import { getFinding, listFindings, parseFindingsRequest, parseStatusChange, setFindingStatus } from '@trailscope/detect';
import { TrailscopeError, type Names } from '@trailscope/model';
import type { OpenSearchClient } from '@trailscope/runtime';
import type { AuthContext } from '../auth/auth-context';

export interface FindingsRouteDeps {
  client: OpenSearchClient;
  names: Names;
}

const LIST_FIELDS = new Set(['accounts', 'regions', 'rules', 'levels', 'statuses', 'principals', 'sourceIps', 'eventIds']);
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A GET query string as a findings request: repeated keys for lists, `pageSize` as a number. */
export function findingsInputFromQuery(query: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, raw] of Object.entries(query)) {
    if (FORBIDDEN_KEYS.has(key)) throw new TrailscopeError('VALIDATION_FAILED', `${key}: not allowed as a query-string key`, { context: { field: key } });
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    if (LIST_FIELDS.has(key)) out[key] = values;
    else if (key === 'pageSize') out[key] = /^\d+$/.test(values[values.length - 1] as string) ? Number(values[values.length - 1]) : values[values.length - 1];
    else out[key] = values[values.length - 1];
  }
  return out;
}

function authOf(auth: AuthContext | null): AuthContext {
  if (!auth) throw new TrailscopeError('UNAUTHORIZED', 'authorization: missing or invalid API key');
  return auth;
}

/**
 * Findings, scoped like events: a key limited to accounts (or regions) sees only findings whose events all lie in
 * them, and a finding outside its scope is NOT_FOUND, for reading and for status changes alike.
 */
export function registerFindingsRoutes(app: FastifyInstance, deps: FindingsRouteDeps): void {
  const { client, names } = deps;

  app.get('/v1/findings', async (request) => {
    const { scope } = authOf(request.auth);
    return listFindings(client, names, parseFindingsRequest(findingsInputFromQuery(request.query as Record<string, string | string[]>)), scope);
  });

  app.get<{ Params: { id: string } }>('/v1/findings/:id', async (request) => {
    const { scope } = authOf(request.auth);
    return { finding: await getFinding(client, names, request.params.id, scope) };
  });

  app.post<{ Params: { id: string } }>('/v1/findings/:id/status', async (request) => {
    const { key, scope } = authOf(request.auth);
    const body = (request.body ?? {}) as Record<string, unknown>;
    // who changed it is the key, whatever the body claims
    const change = parseStatusChange({ ...body, by: undefined });
    const by = key.name ? `${key.name} (key ${key.id})` : `key ${key.id}`;
    return { finding: await setFindingStatus(client, names, request.params.id, { ...change, by }, scope) };
  });
}
