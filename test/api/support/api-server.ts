import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildServer, createKeyStore, type KeyStore, type QueueCounts, type ServerDeps } from '@trailscope/api';
import type { OpenSearchClient } from '@trailscope/runtime';
import type { SeededStore } from '../../query/support/seed';
import { leaksIn, recordErrorBodies, type ErrorBody } from './error-bodies';

export const SERVER_KEY = 'test-server-key-0123456789abcdef0123456789';

export interface TestApi {
  url: string;
  keys: KeyStore;
  app: FastifyInstance;
  /** Everything the server logged, for checking that secrets never appear. */
  logs(): string;
  /** Every answer with status >= 400 the server sent so far. */
  errorBodies(): ErrorBody[];
  /** Stops the server; fails when any error body it sent named an index, a service address, an exception or a key id. */
  close(): Promise<void>;
}

export interface TestApiOptions {
  queueCounts?: () => Promise<QueueCounts>;
  maxPitsPerKey?: number;
  /** The OpenSearch client the server uses (default: the store's); the keys are still created through the store's. */
  client?: OpenSearchClient;
  /** The server key the server runs with (default SERVER_KEY, which the keys are sealed under). */
  serverKey?: string;
  /** Per-key budgets and timeouts of the server (default: the production defaults). */
  keyLimits?: ServerDeps['keyLimits'];
  timeouts?: ServerDeps['timeouts'];
  /** Namespaces besides the store's that error bodies must not name. */
  otherNamespaces?: string[];
}

/** The real server on a free loopback port, over the seeded store, logging at debug into memory. */
export async function startTestApi(store: Pick<SeededStore, 'ns' | 'config' | 'client'>, options: TestApiOptions = {}): Promise<TestApi> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const keys = createKeyStore(store.client, store.config.names, SERVER_KEY);
  const serverKey = options.serverKey ?? SERVER_KEY;
  const app = buildServer({
    client: options.client ?? store.client,
    names: store.config.names,
    keys: options.client || options.serverKey ? createKeyStore(options.client ?? store.client, store.config.names, serverKey) : keys,
    logger,
    queueCounts: options.queueCounts,
    serverKey,
    maxPitsPerKey: options.maxPitsPerKey,
    keyLimits: options.keyLimits,
    timeouts: options.timeouts,
  });
  const bodies = recordErrorBodies(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    keys,
    app,
    logs: () => lines.join(''),
    errorBodies: () => [...bodies],
    async close() {
      await app.close();
      const leaks = leaksIn(bodies, [store.ns, ...(options.otherNamespaces ?? [])]);
      if (leaks.length > 0) throw new Error(`error answers told the caller too much:\n${leaks.join('\n')}`);
    },
  };
}
