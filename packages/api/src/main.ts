import type { FastifyInstance } from 'fastify';
import { createLogger, createOpenSearchClient, createRedis, type Config, type Logger } from '@trailscope/runtime';
import { createIngestQueue } from '@trailscope/queue';
import { createKeyStore } from './keys/key-store';
import { requireServerKey } from './keys/server-key';
import { buildServer } from './server';

export interface RunningApi {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/**
 * Composition root of `trailscope serve`. Refuses to start without the server key (CONFIG_INVALID) before opening
 * any port.
 */
export async function startApi(config: Config, options: { port?: number; host?: string; logger?: Logger } = {}): Promise<RunningApi> {
  requireServerKey(config.api.serverKey);
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'trailscope-api' });
  const client = createOpenSearchClient(config);
  const keys = createKeyStore(client, config.names, config.api.serverKey);
  const redis = createRedis(config, { lazyConnect: true });
  const queue = createIngestQueue(config, redis);
  // Redis being down only degrades /v1/stats; it must not crash the API
  redis.on('error', (err: Error) => logger.debug({ err }, 'Redis connection error'));
  queue.on('error', (err: Error) => logger.warn({ err }, 'ingest queue error; stats will lack queue counts'));
  const app = buildServer({
    client,
    names: config.names,
    keys,
    logger,
    serverKey: config.api.serverKey,
    maxPitsPerKey: config.api.maxPitsPerKey,
    keyLimits: { ratePerWindow: config.apiLimits.ratePerWindow, windowMs: config.apiLimits.rateWindowMs, maxConcurrent: config.apiLimits.maxConcurrentPerKey },
    timeouts: {
      searchTimeoutMs: config.apiLimits.searchTimeoutMs,
      requestTimeoutMs: config.apiLimits.requestTimeoutMs,
      connectionTimeoutMs: config.apiLimits.connectionTimeoutMs,
      keepAliveTimeoutMs: config.apiLimits.keepAliveTimeoutMs,
    },
    queueCounts: async () => {
      const c = await queue.getJobCounts('waiting', 'prioritized', 'paused', 'waiting-children', 'active', 'delayed', 'failed');
      return {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0) + (c['waiting-children'] ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        failed: c.failed ?? 0,
      };
    },
  });
  const close = async () => {
    await app.close();
    await queue.close().catch(() => undefined);
    redis.disconnect();
    await client.close();
  };
  try {
    const url = await app.listen({ port: options.port ?? config.api.port, host: options.host ?? config.api.host });
    logger.info({ url, namespace: config.namespace }, 'API listening');
    return { app, url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
