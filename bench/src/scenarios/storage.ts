import { installTemplates } from '@trailscope/indexer';
import { createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { baselineBulk } from '../baseline-bulk';
import type { BenchContext, Scenario, ScenarioOutput } from '../bench-context';
import type { BenchStack } from '../bench-stack';
import { fmtBytes, fmtInt, fmtNum, round } from '../format';
import { INDEX_PARTS, indexPartBytes, type IndexPartId } from '../index-parts';
import { legacyEventMappingsV2 } from '../legacy-event-mapping';
import { countEvents, eventIndexStats, liveSegmentBytes, settledStoreBytes, waitForMerges } from '../namespace-admin';
import { dropNamespace, dropNamespaceLater } from '../namespace-lifecycle';
import { opensearchCpuMillis } from '../opensearch-cpu';
import type { MainDataset } from '../main-dataset';
import type { IngestedNamespace } from './ingest';

/** The storage goal: index bytes per event at most this many times the gzip bytes per event in S3. */
const STORAGE_GOAL_RATIO = 3;
/** The OpenSearch CPU goal: per event at most this fraction of what the version 2 mapping cost on the same docs. */
const CPU_GOAL_RATIO = 0.8;

/** Waits until the namespace's primaries hold at most `segments` segments (old ones go once nothing holds them). */
async function waitForSegments(client: OpenSearchClient, config: Config, segments: number, timeoutMs = 300_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await eventIndexStats(client, config)).segments <= segments) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Force-merges a namespace's event indices to one segment per shard and returns the settled size. */
async function forceMerged(client: OpenSearchClient, config: Config): Promise<{ settled: boolean; storeBytes: number; docs: number; indices: number; segments: number }> {
  const before = await eventIndexStats(client, config);
  await client.indices.forcemerge({ index: config.names.eventIndexPattern, max_num_segments: 1 });
  const settled = (await waitForSegments(client, config, before.indices * config.index.shards)) && (await waitForMerges(client, config));
  return { settled, ...(await eventIndexStats(client, config)), storeBytes: await settledStoreBytes(client, config) };
}

interface MappingRun {
  what: string;
  docs: number;
  storeBytes: number;
  opensearchCpuSeconds: number;
  bulkSeconds: number;
  parts: Record<IndexPartId, number>;
}

/**
 * The same EventDocs bulk-loaded (the ingest scenario's baseline loader) into a namespace made by `trailscope setup`,
 * with the event template's mapping replaced by the frozen version 2 mapping when `legacy`; then flushed,
 * force-merged and measured per part.
 */
async function loadWithMapping(ctx: BenchContext, stack: BenchStack, client: OpenSearchClient, dataset: MainDataset, legacy: boolean): Promise<MappingRun> {
  const ns = ctx.namespace(legacy ? 'mapv2' : 'mapnow');
  dropNamespaceLater(ctx, stack, ns);
  const config = stack.configFor(ns);
  await installTemplates(client, config);
  if (legacy) {
    const name = config.names.eventTemplate;
    const res = await client.transport.request({ method: 'GET', path: `/_index_template/${encodeURIComponent(name)}` });
    const body = (res.body as { index_templates: Array<{ index_template: { template: Record<string, unknown> } & Record<string, unknown> }> }).index_templates[0]?.index_template;
    if (!body) throw new Error(`index template ${name} not found after setup`);
    body.template = { ...body.template, mappings: legacyEventMappingsV2() };
    await client.transport.request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(name)}`, body });
  }
  const cpu0 = await opensearchCpuMillis(client);
  const bulk = await baselineBulk(client, config, dataset.docsFile);
  const opensearchCpuSeconds = ((await opensearchCpuMillis(client)) - cpu0) / 1000;
  const count = await countEvents(client, config);
  if (bulk.failed > 0 || count !== dataset.events) throw new Error(`${ns}: ${count} documents (${bulk.failed} failed), expected ${dataset.events}`);
  // a flush first, as an idle shard does by itself: merges then drop what OpenSearch keeps for recovery until a commit
  await client.indices.flush({ index: config.names.eventIndexPattern });
  const merged = await forceMerged(client, config);
  const parts = await indexPartBytes(client, config.names.eventIndexPattern);
  const run = { what: legacy ? 'template version 2 mapping' : 'current template', docs: merged.docs, storeBytes: merged.storeBytes, opensearchCpuSeconds, bulkSeconds: bulk.seconds, parts };
  if (!ctx.options.keep) await dropNamespace(stack, ns);
  return run;
}

/** Rows comparing the current template with the version 2 mapping on the same documents: CPU and each part. */
async function compareMappings(ctx: BenchContext, out: ScenarioOutput, client: OpenSearchClient, dataset: MainDataset): Promise<void> {
  const stack = await ctx.stack();
  // current first, so whatever the first load warms helps the baseline, not us
  const now = await loadWithMapping(ctx, stack, client, dataset, false);
  const v2 = await loadWithMapping(ctx, stack, client, dataset, true);
  out.method.push(
    `Per part and OpenSearch CPU: the same ${fmtInt(dataset.events)} EventDocs bulk-loaded (the ingest baseline's loader, \`client.helpers.bulk\`) into two fresh namespaces made by \`trailscope setup\`, one with the current event template and one whose template carries the frozen version 2 mapping (\`bench/src/legacy-event-mapping.ts\`, the "before"), current first; OpenSearch CPU from the nodes stats during each load; each then flushed, force-merged to one segment per shard and measured per part from the index stats API's per-file sizes (\`include_segment_file_sizes\`; OpenSearch 2.19 has no \`_disk_usage\` API).`,
  );
  out.figures.mappings = { current: now, version2: v2 };
  const cpuNow = (now.opensearchCpuSeconds / now.docs) * 1e6;
  const cpuV2 = (v2.opensearchCpuSeconds / v2.docs) * 1e6;
  out.rows.push({
    scenario: 'storage',
    name: 'OpenSearch CPU per event while bulk-loading, current mapping vs version 2',
    ours: { value: cpuNow, unit: 'µs/event', text: `${fmtNum(cpuNow)} µs (${fmtNum(now.bulkSeconds)} s load)` },
    baseline: { value: cpuV2, unit: 'µs/event', text: `${fmtNum(cpuV2)} µs (${fmtNum(v2.bulkSeconds)} s load)`, what: 'the same docs into the version 2 mapping' },
    ratio: cpuNow / cpuV2,
    ratioMeaning: 'ours ÷ version 2 OpenSearch CPU per event',
    goal: `ratio ≤ ${CPU_GOAL_RATIO}`,
    met: cpuNow / cpuV2 <= CPU_GOAL_RATIO,
  });
  const perEvent = (r: MappingRun, id: IndexPartId) => r.parts[id] / r.docs;
  for (const p of [...INDEX_PARTS, { id: 'other' as const, label: 'other (segment and field infos)' }]) {
    const a = perEvent(now, p.id);
    const b = perEvent(v2, p.id);
    out.rows.push({
      scenario: 'storage',
      name: `bytes per event: ${p.label}`,
      ours: { value: a, unit: 'B/event', text: `${fmtNum(a)} B` },
      baseline: { value: b, unit: 'B/event', text: `${fmtNum(b)} B`, what: 'version 2 mapping, same docs' },
      ...(b > 0 ? { ratio: a / b, ratioMeaning: 'current ÷ version 2' } : {}),
      goal: 'report',
      met: null,
    });
  }
  const a = now.storeBytes / now.docs;
  const b = v2.storeBytes / v2.docs;
  out.rows.push({
    scenario: 'storage',
    name: 'bytes per event: whole index, bulk-loaded',
    ours: { value: a, unit: 'B/event', text: `${fmtNum(a)} B (${fmtBytes(now.storeBytes)})` },
    baseline: { value: b, unit: 'B/event', text: `${fmtNum(b)} B (${fmtBytes(v2.storeBytes)})`, what: 'version 2 mapping, same docs' },
    ratio: a / b,
    ratioMeaning: 'current ÷ version 2',
    goal: 'report',
    met: null,
  });
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
      const { settled, ...after } = await forceMerged(client, config);
      const mergeSeconds = (performance.now() - t0) / 1000;
      if (!settled) out.notes.push('The force-merge had not reduced every shard to one segment within the wait: the size includes segments still held.');
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
        goal: `ratio ≤ ${STORAGE_GOAL_RATIO}`,
        met: indexPerEvent / gzipPerEvent <= STORAGE_GOAL_RATIO,
      });
      await compareMappings(ctx, out, client, dataset);
    } finally {
      await client.close();
    }
  },
};
