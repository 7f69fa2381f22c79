import type { FastifyInstance } from 'fastify';
import { TrailscopeError, type Names } from '@trailscope/model';
import type { OpenSearchClient } from '@trailscope/runtime';
import { aggregate, getEvent, isUnrestricted, parseAggregationRequest, parseSearchRequest, search } from '@trailscope/query';
import { searchInputFromQuery } from '../query-string';
import { gatherStats, type QueueCounts } from '../stats';
import { buildOpenApiDocument } from '../openapi';
import type { AuthContext } from '../auth/auth-context';
import type { SearchCursors } from './search-cursors';

export interface V1Deps {
  client: OpenSearchClient;
  names: Names;
  cursors: SearchCursors;
  queueCounts?: () => Promise<QueueCounts>;
}

function authOf(auth: AuthContext | null): AuthContext {
  if (!auth) throw new TrailscopeError('UNAUTHORIZED', 'authorization: missing or invalid API key');
  return auth;
}

export function registerV1Routes(app: FastifyInstance, deps: V1Deps): void {
  const { client, names } = deps;
  const openApi = buildOpenApiDocument();

  app.get('/v1/health', { config: { auth: 'none' } }, async (_request, reply) => {
    try {
      const res = await client.cluster.health({ timeout: '5s' } as never);
      const status = (res.body as { status?: string }).status ?? 'unknown';
      return reply.status(status === 'red' ? 503 : 200).send({ status: status === 'red' ? 'unavailable' : 'ok', opensearch: { status } });
    } catch {
      return reply.status(503).send({ status: 'unavailable', opensearch: { status: 'unreachable' } });
    }
  });

  app.get('/v1/openapi.json', { config: { auth: 'none' } }, async () => openApi);

  app.get('/v1/events', async (request) => {
    const { key, scope } = authOf(request.auth);
    const req = parseSearchRequest(searchInputFromQuery(request.query as Record<string, string | string[]>));
    return search(client, names, req, scope, { ...deps.cursors.optionsFor(key.id), ...request.searchLimits });
  });

  app.post('/v1/events', async (request) => {
    const { key, scope } = authOf(request.auth);
    return search(client, names, parseSearchRequest(request.body ?? {}), scope, { ...deps.cursors.optionsFor(key.id), ...request.searchLimits });
  });

  app.get<{ Params: { eventId: string }; Querystring: { includeRaw?: string } }>('/v1/events/:eventId', async (request) => {
    const { scope } = authOf(request.auth);
    const includeRaw = request.query.includeRaw;
    if (includeRaw !== undefined && includeRaw !== 'true' && includeRaw !== 'false') {
      throw new TrailscopeError('VALIDATION_FAILED', 'includeRaw: must be true or false', { context: { field: 'includeRaw' } });
    }
    const event = await getEvent(client, names, request.params.eventId, scope, { includeRaw: includeRaw === 'true' });
    return { event };
  });

  app.post('/v1/aggregations', async (request) => {
    const { scope } = authOf(request.auth);
    return aggregate(client, names, parseAggregationRequest(request.body ?? {}), scope, request.searchLimits);
  });

  app.get('/v1/stats', async (request) => {
    const { scope } = authOf(request.auth);
    // totals and index sizes span every account: only keys that may see every account get them
    if (!isUnrestricted(scope)) throw new TrailscopeError('FORBIDDEN', 'stats: only keys without an account or region limit may read cluster-wide statistics');
    return gatherStats(client, names, deps.queueCounts);
  });
}
