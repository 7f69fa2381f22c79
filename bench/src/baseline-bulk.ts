import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Config, OpenSearchClient } from '@trailscope/runtime';
import { DOCS_NAMESPACE } from './main-dataset';

/** Bulk helper settings of the baseline: the helper's own defaults, what a direct indexer would start from. */
export const BASELINE_BULK: { flushBytes: number; concurrency: number } = { flushBytes: 5_000_000, concurrency: 5 };

export interface BaselineBulkResult {
  seconds: number;
  total: number;
  successful: number;
  failed: number;
  bytes: number;
}

interface DocLine {
  index: string;
  id: string;
  json: string;
}

async function* docLines(file: string, indexPrefix: string, limit = Number.POSITIVE_INFINITY): AsyncGenerator<DocLine> {
  const from = `${DOCS_NAMESPACE}-events-`;
  const lines = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    if (!line) continue;
    if (n++ >= limit) {
      lines.close();
      return;
    }
    const a = line.indexOf('\t');
    const b = line.indexOf('\t', a + 1);
    yield { index: indexPrefix + line.slice(from.length, a), id: line.slice(a + 1, b), json: line.slice(b + 1) };
  }
}

/**
 * The baseline of the ingest scenario: the same EventDocs, already made, streamed from disk into the opensearch-js
 * bulk helper (`client.helpers.bulk`) as `create` actions with the same ids into indices made by the same template.
 */
export async function baselineBulk(client: OpenSearchClient, config: Config, docsFile: string, limit?: number): Promise<BaselineBulkResult> {
  const t0 = performance.now();
  const stats = await client.helpers.bulk<DocLine>({
    datasource: docLines(docsFile, config.names.eventIndexPrefix, limit),
    onDocument: (d) => [{ create: { _index: d.index, _id: d.id } }, d.json] as never,
    flushBytes: BASELINE_BULK.flushBytes,
    concurrency: BASELINE_BULK.concurrency,
    retries: 5,
    wait: 1000,
  });
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, total: stats.total, successful: stats.successful, failed: stats.failed, bytes: stats.bytes };
}
