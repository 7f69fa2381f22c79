import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildSavedObjects, toNdjson } from '@trailscope/api';
import { buildFinding, findingsMappings, installDetectionIndices, writeFindings } from '@trailscope/detect';
import { eventMappings } from '@trailscope/indexer';
import { runCli } from '../support/env';
import { seedStore, standardTrail, type SeededStore } from '../query/support/seed';

interface MappingNode {
  type?: string;
  properties?: Record<string, MappingNode>;
}

/** True when `path` is a mapped field, or a path below a flat_object field. */
function fieldExists(mapping: MappingNode, path: string): boolean {
  let node: MappingNode | undefined = mapping;
  for (const part of path.split('.')) {
    if (node?.type === 'flat_object') return true;
    node = node?.properties?.[part];
    if (!node) return false;
  }
  return node !== undefined;
}

interface Saved {
  type: string;
  id: string;
  attributes: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  references: Array<{ name: string; type: string; id: string }>;
}

/** Every field a saved object names: time field, columns, sort, aggregation fields and fields in its query. */
function referencedFields(objects: Saved[]): { fields: Set<string>; aggFields: Array<{ type: string; field: string }>; queries: string[] } {
  const fields = new Set<string>();
  const aggFields: Array<{ type: string; field: string }> = [];
  const queries: string[] = [];
  for (const o of objects) {
    const a = o.attributes;
    if (a.timeFieldName) fields.add(a.timeFieldName);
    for (const c of a.columns ?? []) fields.add(c);
    for (const [f] of a.sort ?? []) fields.add(f);
    if (a.visState) {
      for (const agg of JSON.parse(a.visState).aggs as Array<{ type: string; params: { field?: string } }>) {
        if (agg.params.field) {
          fields.add(agg.params.field);
          aggFields.push({ type: agg.type, field: agg.params.field });
        }
      }
    }
    const source = a.kibanaSavedObjectMeta?.searchSourceJSON;
    if (source) {
      const q = JSON.parse(source).query?.query as string | undefined;
      if (q) {
        queries.push(q);
        for (const m of q.matchAll(/(?:_exists_:)?([A-Za-z_][\w.]*):/g)) if (m[1] !== '_exists_') fields.add(m[1]!);
        for (const m of q.matchAll(/_exists_:([\w.]+)/g)) fields.add(m[1]!);
      }
    }
  }
  return { fields, aggFields, queries };
}

/** The objects reading the index pattern `patternId` (directly; dashboards reach it through their panels). */
function over(objects: Saved[], patternId: string): Saved[] {
  const pattern = objects.filter((o) => o.type === 'index-pattern' && o.id === patternId);
  return [...pattern, ...objects.filter((o) => o.references.some((r) => r.type === 'index-pattern' && r.id === patternId))];
}
/** The events' objects: the first index pattern is the one over the read alias. */
const eventObjects = (objects: Saved[]) => over(objects, objects.find((o) => o.type === 'index-pattern')!.id);

describe('OpenSearch Dashboards export', () => {
  let store: SeededStore;

  beforeAll(async () => {
    store = await seedStore('t-dash', standardTrail(53));
  });
  afterAll(async () => {
    await store?.close();
  });

  it('`trailscope dashboards export [--out FILE]` writes the library\'s saved objects as valid NDJSON', async () => {
    const res = await runCli(['dashboards', 'export'], { env: { TRAILSCOPE_NAMESPACE: store.ns } });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(toNdjson(buildSavedObjects(store.config.names)));
    const dir = mkdtempSync(path.join(tmpdir(), 'ts-dash-'));
    try {
      const file = path.join(dir, 'out.ndjson');
      const toFile = await runCli(['dashboards', 'export', '--out', file], { env: { TRAILSCOPE_NAMESPACE: store.ns } });
      expect([toFile.code, toFile.stdout]).toEqual([0, '']);
      expect(readFileSync(file, 'utf8')).toBe(res.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const lines = res.stdout.trimEnd().split('\n');
    const objects = lines.map((l) => JSON.parse(l) as Saved);
    expect(objects.filter((o) => o.type === 'index-pattern').map((o) => o.attributes)).toEqual([
      { title: store.config.names.eventsAlias, timeFieldName: 'eventTime' },
      { title: store.config.names.findingsIndex, timeFieldName: 'eventTime' },
    ]);
    expect(objects.filter((o) => o.type === 'visualization')).toHaveLength(8);
    expect(objects.filter((o) => o.type === 'dashboard')).toHaveLength(2);
    expect(objects.filter((o) => o.type === 'search')).toHaveLength(2);
  });

  it('references only fields of the index template mapping, aggregatable where aggregated', async () => {
    const res = await store.client.indices.getMapping({ index: store.config.names.eventsAlias });
    const live = Object.values(res.body as Record<string, { mappings: MappingNode }>).map((m) => m.mappings);
    expect(live.length).toBeGreaterThan(0);
    // the template as shipped, and the mapping the seeded indices actually got from it
    const mappings = [eventMappings() as MappingNode, ...live];
    const { fields, aggFields } = referencedFields(eventObjects(buildSavedObjects(store.config.names) as Saved[]));
    expect(fields.size).toBeGreaterThan(5);
    for (const field of fields) {
      for (const mapping of mappings) expect({ field, exists: fieldExists(mapping, field) }).toEqual({ field, exists: true });
    }
    // each aggregation runs as Dashboards would send it
    for (const { type, field } of aggFields) {
      const agg = type === 'date_histogram' ? { date_histogram: { field, fixed_interval: '1d' } } : { [type]: { field } };
      const out = await store.client.search({ index: store.config.names.eventsAlias, body: { size: 0, aggs: { a: agg } } as never });
      expect({ field, ok: (out.body as { aggregations?: object }).aggregations !== undefined }).toEqual({ field, ok: true });
    }
  });

  it('has visualization queries that run and select what they say', async () => {
    const { queries } = referencedFields(eventObjects(buildSavedObjects(store.config.names) as Saved[]));
    const counts: Record<string, number> = {};
    for (const q of queries) {
      const res = await store.client.count({ index: [store.config.names.eventsAlias], body: { query: { query_string: { query: q } } } as never });
      counts[q] = (res.body as { count: number }).count;
    }
    const noMfa = queries.find((q) => q.includes('MFAUsed'))!;
    const want = store.events.filter((e) => e.record.eventName === 'ConsoleLogin' && e.record.additionalEventData?.MFAUsed === 'No').length;
    expect(want).toBeGreaterThan(0);
    expect(counts[noMfa]).toBe(want);
    const errors = queries.find((q) => q.startsWith('_exists_:errorCode'))!;
    expect(counts[errors]).toBe(store.events.filter((e) => e.record.errorCode !== undefined).length);
  });

  it('has a findings view over the findings index naming only fields of its mapping, whose aggregations and query run', async () => {
    const { names } = store.config;
    await installDetectionIndices(store.client, store.config);
    const rule = { kind: 'single' as const, id: 'dash-rule', title: 'Dashboard rule', level: 'high', tags: [], version: 'v1' };
    const [a, b] = store.events;
    const docs = [a!, b!].map((e, i) =>
      buildFinding(`f-dash-${i}`, rule, [{ id: e.id, eventTime: String(e.record.eventTime), account: '111122223333', region: 'us-east-1' }], { source: 'live', now: new Date() }),
    );
    docs[1]!.status = 'closed';
    await writeFindings(store.client, store.config, docs.map((doc) => ({ op: 'create' as const, doc })), { refresh: 'wait_for' });
    const res = await store.client.indices.getMapping({ index: names.findingsIndex });
    const live = (res.body as Record<string, { mappings: MappingNode }>)[names.findingsIndex]!.mappings;
    const objects = buildSavedObjects(names) as Saved[];
    const findingsPattern = objects.find((o) => o.type === 'index-pattern' && o.attributes.title === names.findingsIndex)!;
    const findingObjects = over(objects, findingsPattern.id);
    expect(findingObjects.map((o) => o.type).sort()).toEqual(['index-pattern', 'search', 'visualization', 'visualization']);
    const { fields, aggFields, queries } = referencedFields(findingObjects);
    expect([...fields]).toEqual(expect.arrayContaining(['ruleLevel', 'ruleId', 'status', 'eventTime']));
    for (const field of fields) {
      for (const mapping of [findingsMappings() as MappingNode, live]) expect({ field, exists: fieldExists(mapping, field) }).toEqual({ field, exists: true });
    }
    for (const { type, field } of aggFields) {
      const agg = type === 'date_histogram' ? { date_histogram: { field, fixed_interval: '1d' } } : { [type]: { field } };
      const out = await store.client.search({ index: names.findingsIndex, body: { size: 0, aggs: { a: agg } } as never });
      const buckets = (out.body as { aggregations?: { a?: { buckets?: unknown[] } } }).aggregations?.a?.buckets;
      expect({ field, buckets: buckets?.length }).toEqual({ field, buckets: expect.any(Number) });
      expect({ field, some: (buckets?.length ?? 0) > 0 }).toEqual({ field, some: true });
    }
    // the saved search lists the open findings only
    expect(queries).toEqual(['status:open']);
    const open = await store.client.count({ index: names.findingsIndex, body: { query: { query_string: { query: queries[0]! } } } as never });
    expect((open.body as { count: number }).count).toBe(1);
  });
});
