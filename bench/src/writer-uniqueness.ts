import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createBulkWriter, installTemplates, type BulkStats } from '@trailscope/indexer';
import type { EventDoc } from '@trailscope/model';
import { createLogger, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { opensearchCpuMillis } from './opensearch-cpu';

export interface WriterRun {
  uniqueIds: boolean;
  seconds: number;
  opensearchCpuSeconds: number;
  /** CPU of this process (the writer: JSON parsing of the docs file, hashing, request building). */
  writerCpuSeconds: number;
  stats: BulkStats;
}

/**
 * Our bulk writer alone, fed the EventDocs of the docs file, with or without the store-wide claim of each event id:
 * the difference is what uniqueness across indices costs, the claim requests and their work in OpenSearch.
 */
export async function writerRun(client: OpenSearchClient, config: Config, docsFile: string, uniqueIds: boolean): Promise<WriterRun> {
  await installTemplates(client, config);
  const writer = createBulkWriter({ client, config, logger: createLogger({ level: 'warn', name: 'bench-writer' }), uniqueIds });
  const cpu0 = await opensearchCpuMillis(client);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  // Made right before it is iterated: readline starts reading at once, and the lines it emits while nothing
  // iterates it are lost (made before the await above, a run lost the file's first 390 lines).
  const lines = createInterface({ input: createReadStream(docsFile, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const a = line.indexOf('\t');
    const b = line.indexOf('\t', a + 1);
    await writer.add(line.slice(a + 1, b), JSON.parse(line.slice(b + 1)) as EventDoc);
  }
  const stats = await writer.flush();
  const seconds = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(own0);
  const opensearchCpuSeconds = ((await opensearchCpuMillis(client)) - cpu0) / 1000;
  return { uniqueIds, seconds, opensearchCpuSeconds, writerCpuSeconds: (own.user + own.system) / 1e6, stats };
}
