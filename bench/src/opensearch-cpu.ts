import type { OpenSearchClient } from '@trailscope/runtime';

/** Total CPU time of every OpenSearch node process so far, in ms: where the cluster's share of a run went. */
export async function opensearchCpuMillis(client: OpenSearchClient): Promise<number> {
  const res = await client.nodes.stats({ metric: ['process'] });
  const nodes = Object.values((res.body as { nodes: Record<string, { process?: { cpu?: { total_in_millis?: number } } }> }).nodes);
  return nodes.reduce((a, n) => a + (n.process?.cpu?.total_in_millis ?? 0), 0);
}
