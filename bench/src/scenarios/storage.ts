import { createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import type { Scenario } from '../bench-context';
import { fmtBytes, fmtInt, fmtNum, round } from '../format';
import { eventIndexStats, liveSegmentBytes, settledStoreBytes, waitForMerges } from '../namespace-admin';
import type { IngestedNamespace } from './ingest';

/** Waits until the namespace's primaries hold at most `segments` segments (old ones go once nothing holds them). */
async function waitForSegments(client: OpenSearchClient, config: Config, segments: number, timeoutMs = 300_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await eventIndexStats(client, config)).segments <= segments) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export const storageScenario: Scenario = {
  id: 'storage',
  title: 'index bytes per event after force-merge vs gzip bytes per event in S3',
  async run(ctx, out) {
    const ingested = ctx.shared.get('ingested') as IngestedNamespace | undefined;
    if (!ingested) throw new Error('needs the ingest scenario: no ingested namespace to measure');
    const { config, dataset } = ingested;
    const client = createOpenSearchClient(config, { requestTimeoutMs: 30 * 60_000 });
    try {
      const before = await eventIndexStats(client, config);
      const stack = await ctx.stack();
      if (stack.source.startsWith('local stack started by the bench')) {
        // A point in time pins the segments it saw: merged-away segments would stay on disk and be counted. The
        // query scenario's searches leave some open for their keep-alive; on its own stack the bench closes them all.
        await client.transport.request({ method: 'DELETE', path: '/_search/point_in_time/_all' }).catch(() => undefined);
      }
      const t0 = performance.now();
      await client.indices.forcemerge({ index: config.names.eventIndexPattern, max_num_segments: 1 });
      const settled = (await waitForSegments(client, config, before.indices * config.index.shards)) && (await waitForMerges(client, config));
      const mergeSeconds = (performance.now() - t0) / 1000;
      if (!settled) out.notes.push('The force-merge had not reduced every shard to one segment within the wait: the size includes segments still held.');
      const after = { ...(await eventIndexStats(client, config)), storeBytes: await settledStoreBytes(client, config) };
      const live = await liveSegmentBytes(client, config);
      if (after.docs !== dataset.events) throw new Error(`index holds ${after.docs} documents, expected ${dataset.events}`);
      const indexPerEvent = after.storeBytes / after.docs;
      const gzipPerEvent = dataset.compressedBytes / dataset.events;
      const rawPerEvent = dataset.uncompressedBytes / dataset.events;
      out.data = { events: after.docs, indices: after.indices, 'gzip bytes in S3': dataset.compressedBytes, 'uncompressed log bytes': dataset.uncompressedBytes };
      out.method.push(
        `The event indices our pipeline wrote in the ingest scenario (${fmtInt(after.indices)} daily indices, primaries only, ${config.index.replicas} replicas configured), force-merged to one segment per shard (waiting until the old segments are gone; on its own stack the bench first closes open points in time, which pin segments); size = primaries' store size from the index stats API, read once it stops changing (OpenSearch caches store statistics for 10 s).`,
        'Compared with the gzip log files in S3 for the same events, and with their uncompressed size. The index holds each record twice by design: the searchable fields and the exact raw text (an audit record must be retrievable byte for byte).',
      );
      out.figures = {
        beforeMerge: { ...before, bytesPerEvent: round(before.storeBytes / before.docs) },
        afterMerge: { ...after, bytesPerEvent: round(indexPerEvent) },
        liveSegmentsAfterMerge: { ...live, bytesPerEvent: round(live.bytes / after.docs) },
        mergeSeconds: round(mergeSeconds),
        gzipBytesPerEvent: round(gzipPerEvent),
        uncompressedBytesPerEvent: round(rawPerEvent),
      };
      out.notes.push(
        `Before the force-merge: ${fmtBytes(before.storeBytes)} in ${fmtInt(before.segments)} segments (${fmtNum(before.storeBytes / before.docs)} bytes per event); the merge took ${fmtNum(mergeSeconds)} s. After it, the live segments (segments API) hold ${fmtBytes(live.bytes)} in ${fmtInt(live.segments)} segments (${fmtNum(live.bytes / after.docs)} bytes per event). Uncompressed log text: ${fmtNum(rawPerEvent)} bytes per event.`,
      );
      out.rows.push({
        scenario: 'storage',
        name: 'index size per event',
        ours: { value: indexPerEvent, unit: 'B/event', text: `${fmtNum(indexPerEvent)} bytes/event (${fmtBytes(after.storeBytes)})` },
        baseline: { value: gzipPerEvent, unit: 'B/event', text: `${fmtNum(gzipPerEvent)} bytes/event (${fmtBytes(dataset.compressedBytes)})`, what: 'gzip log files in S3' },
        ratio: indexPerEvent / gzipPerEvent,
        ratioMeaning: 'index bytes ÷ gzip bytes',
        goal: 'report the ratio',
        met: null,
      });
    } finally {
      await client.close();
    }
  },
};
