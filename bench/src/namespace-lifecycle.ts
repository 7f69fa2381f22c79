import type { Config } from '@trailscope/runtime';
import { createOpenSearchClient, createRedis } from '@trailscope/runtime';
import type { BenchContext } from './bench-context';
import type { BenchStack } from './bench-stack';
import { deleteNamespaceIndices, deleteNamespaceKeys } from './namespace-admin';

/** Deletes a namespace's indices, templates and Redis keys at the end of the run (unless --keep). */
export function dropNamespaceLater(ctx: BenchContext, stack: BenchStack, namespace: string): void {
  if (ctx.options.keep) return;
  ctx.onCleanup(() => dropNamespace(stack, namespace));
}

export async function dropNamespace(stack: BenchStack, namespace: string): Promise<void> {
  const config = stack.configFor(namespace);
  const client = createOpenSearchClient(config);
  const redis = createRedis(config);
  try {
    await deleteNamespaceIndices(client, namespace);
    await deleteNamespaceKeys(redis, config);
  } finally {
    await client.close();
    redis.disconnect();
  }
}

export function settingsOf(config: Config): Record<string, number | string> {
  return {
    workerConcurrency: config.ingest.workerConcurrency,
    bulkFlushBytes: config.ingest.bulkFlushBytes,
    bulkFlushDocs: config.ingest.bulkFlushDocs,
    bulkConcurrency: config.ingest.bulkConcurrency,
    listConcurrency: config.ingest.listConcurrency,
    indexShards: config.index.shards,
    indexReplicas: config.index.replicas,
    indexPeriod: config.index.period,
  };
}
