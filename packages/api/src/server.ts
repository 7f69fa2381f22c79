import Fastify, { type FastifyInstance } from 'fastify';
import { TrailscopeError, type Names } from '@trailscope/model';
import type { Logger, OpenSearchClient } from '@trailscope/runtime';
import './auth/auth-context';
import { parseBearer } from './auth/bearer';
import { scopeOfKey, type KeyStore } from './keys/key-store';
import { sendError } from './routes/error-reply';
import { registerV1Routes } from './routes/v1-routes';
import { registerLookupEventsRoute } from './routes/lookup-events-route';
import type { QueueCounts } from './stats';

export interface ServerDeps {
  client: OpenSearchClient;
  names: Names;
  keys: KeyStore;
  logger: Logger;
  queueCounts?: () => Promise<QueueCounts>;
  bodyLimitBytes?: number;
}

/** The HTTP API and the LookupEvents endpoint, without listening (tests use it with a real port or inject). */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
    // request ids from the client are logged but never trusted for anything else
    requestIdHeader: false,
  }) as unknown as FastifyInstance;

  app.decorateRequest('auth', null);

  app.addHook('onRequest', async (request) => {
    const mode = request.routeOptions?.config?.auth ?? 'bearer';
    if (mode !== 'bearer' || request.is404) return;
    const bearer = parseBearer(request.headers.authorization);
    if (!bearer) throw new TrailscopeError('UNAUTHORIZED', 'authorization: send "Authorization: Bearer <keyId>.<secret>"');
    const key = await deps.keys.verify(bearer.id, bearer.secret);
    if (!key) throw new TrailscopeError('UNAUTHORIZED', 'authorization: unknown, revoked or wrong API key');
    request.auth = { key, scope: scopeOfKey(key) };
  });

  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new TrailscopeError('NOT_FOUND', `route: no ${request.method} ${request.url.split('?')[0]}`)),
  );

  registerV1Routes(app, deps);
  registerLookupEventsRoute(app, deps);
  return app;
}
