import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { TrailscopeError, errorCodeOf, type Names } from '@trailscope/model';
import type { Logger, OpenSearchClient } from '@trailscope/runtime';
import './auth/auth-context';
import { parseBearer } from './auth/bearer';
import { scopeOfKey, type KeyStore } from './keys/key-store';
import { sendError } from './routes/error-reply';
import { registerV1Routes } from './routes/v1-routes';
import { registerLookupEventsRoute } from './routes/lookup-events-route';
import { registerFindingsRoutes } from './routes/findings-routes';
import { registerExportRoute } from './routes/export-route';
import { registerFilesRoute } from './routes/files-route';
import { registerConsoleRoutes } from './routes/console-routes';
import { createSearchCursors } from './routes/search-cursors';
import { requestLogger } from './request-log';
import type { QueueCounts } from './stats';
import { DEFAULT_KEY_LIMITS, registerKeyLimits, type KeyLimits, type KeyLimitsConfig } from './limits/key-limits';
import { DEFAULT_HTTP_TIMEOUTS, registerRequestDeadline, type HttpTimeouts } from './limits/request-deadline';

export interface ServerDeps {
  client: OpenSearchClient;
  names: Names;
  keys: KeyStore;
  logger: Logger;
  queueCounts?: () => Promise<QueueCounts>;
  bodyLimitBytes?: number;
  /** TRAILSCOPE_SERVER_KEY: cursors are MAC'd under a key derived from it (without it, one drawn per process). */
  serverKey?: string;
  /** Points in time one API key may hold open (TRAILSCOPE_API_MAX_PITS_PER_KEY). */
  maxPitsPerKey?: number;
  /** Per-key rate and concurrency budgets; defaults DEFAULT_KEY_LIMITS. */
  keyLimits?: KeyLimitsConfig;
  /** Socket timeouts and the deadline of every search; defaults DEFAULT_HTTP_TIMEOUTS. */
  timeouts?: Partial<HttpTimeouts>;
}

/** The HTTP API and the LookupEvents endpoint, without listening (tests use it with a real port or inject). */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const timeouts: HttpTimeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...deps.timeouts };
  const app = Fastify({
    loggerInstance: requestLogger(deps.logger),
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
    // request ids from the client are logged but never trusted for anything else
    requestIdHeader: false,
    // unique across restarts and processes: error answers carry it, and the log keeps the detail under it
    genReqId: () => randomUUID(),
    // a client trickling its request is cut off at requestTimeout, an idle socket at connectionTimeout
    requestTimeout: timeouts.requestTimeoutMs,
    connectionTimeout: timeouts.connectionTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    http: {
      headersTimeout: timeouts.requestTimeoutMs,
      // Node checks both timeouts on this interval (30 s by default, which would let a trickle last that long)
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(timeouts.requestTimeoutMs / 4))),
    },
  }) as unknown as FastifyInstance;
  const limits: KeyLimits = registerKeyLimits(app, deps.keyLimits ?? DEFAULT_KEY_LIMITS);
  registerRequestDeadline(app, timeouts.searchTimeoutMs);
  const cursors = createSearchCursors({ serverKey: deps.serverKey, namespace: deps.names.namespace, maxPitsPerKey: deps.maxPitsPerKey });

  app.decorateRequest('auth', null);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const mode = request.routeOptions?.config?.auth ?? 'bearer';
    if (mode !== 'bearer' || request.is404) return;
    const bearer = parseBearer(request.headers.authorization);
    if (!bearer) throw new TrailscopeError('UNAUTHORIZED', 'authorization: send "Authorization: Bearer <keyId>.<secret>"');
    const key = await deps.keys.verify(bearer.id, bearer.secret).catch((err: unknown) => {
      if (errorCodeOf(err) !== 'CONFIG_INVALID') throw err;
      // a secret sealed under another server key: the operator must act, the caller learns nothing about the key
      request.log.error({ err }, 'API key secret cannot be opened; answered as an unknown key');
      return undefined;
    });
    if (!key) throw new TrailscopeError('UNAUTHORIZED', 'authorization: unknown, revoked or wrong API key');
    request.auth = { key, scope: scopeOfKey(key) };
  });

  // after authentication, so that only a key's own requests count against its budget
  app.addHook('preHandler', async (request, reply) => {
    if (request.auth) await limits.admit(request, reply, request.auth.key.id);
  });

  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new TrailscopeError('NOT_FOUND', `route: no ${request.method} ${request.url.split('?')[0]}`)),
  );

  registerV1Routes(app, { ...deps, cursors });
  registerFindingsRoutes(app, deps);
  registerExportRoute(app, { ...deps, cursors, searchTimeoutMs: timeouts.searchTimeoutMs });
  registerFilesRoute(app, deps);
  registerLookupEventsRoute(app, { ...deps, cursors, limits });
  registerConsoleRoutes(app);
  return app;
}
