import { createOpenSearchClient, createRedis } from '@trailscope/runtime';
import type { BenchStack } from './bench-stack';
import type { MachineFacts } from './machine-facts';
import { fmtBytes } from './format';

/** Versions and sizes of the services, for the machine table. */
export async function describeServices(stack: BenchStack): Promise<Partial<MachineFacts>> {
  const config = stack.configFor('bench-describe');
  const facts: Partial<MachineFacts> = {};
  const os = createOpenSearchClient(config);
  try {
    const info = await os.info();
    facts.opensearchVersion = String((info.body as { version?: { number?: string } }).version?.number ?? 'unknown');
    const stats = await os.nodes.stats({ metric: ['jvm'] });
    const nodes = Object.values((stats.body as { nodes: Record<string, { jvm?: { mem?: { heap_max_in_bytes?: number } } }> }).nodes);
    facts.opensearchNodes = nodes.length;
    const heap = nodes[0]?.jvm?.mem?.heap_max_in_bytes;
    if (heap) facts.opensearchHeap = fmtBytes(heap);
  } finally {
    await os.close();
  }
  const redis = createRedis(config);
  try {
    const info = await redis.info('server');
    facts.redisVersion = /redis_version:(\S+)/.exec(info)?.[1];
  } finally {
    redis.disconnect();
  }
  const s3 = stack.endpoints.S3_ENDPOINT;
  if (s3) {
    let version = '';
    try {
      version = ` (s3rver ${(require('s3rver/package.json') as { version: string }).version} is what the local stack runs)`;
    } catch {
      // s3rver not installed: the endpoint is some other S3-compatible server
    }
    facts.s3 = `S3-compatible server at ${s3}${version}; not AWS S3, so listing and GET latencies are local-disk ones`;
  }
  return facts;
}
