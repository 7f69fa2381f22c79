import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildServer, createKeyStore, type KeyStore, type QueueCounts } from '@trailscope/api';
import type { SeededStore } from '../../query/support/seed';

export const SERVER_KEY = 'test-server-key-0123456789abcdef0123456789';

export interface TestApi {
  url: string;
  keys: KeyStore;
  app: FastifyInstance;
  /** Everything the server logged, for checking that secrets never appear. */
  logs(): string;
  close(): Promise<void>;
}

/** The real server on a free loopback port, over the seeded store, logging at debug into memory. */
export async function startTestApi(store: SeededStore, options: { queueCounts?: () => Promise<QueueCounts> } = {}): Promise<TestApi> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const keys = createKeyStore(store.client, store.config.names, SERVER_KEY);
  const app = buildServer({ client: store.client, names: store.config.names, keys, logger, queueCounts: options.queueCounts });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, keys, app, logs: () => lines.join(''), close: () => app.close() };
}
