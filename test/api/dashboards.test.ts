import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildSavedObjects, toNdjson } from '@trailscope/api';
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
    expect(objects.find((o) => o.type === 'index-pattern')?.attributes).toEqual({ title: store.config.names.eventsAlias, timeFieldName: 'eventTime' });
    expect(objects.filter((o) => o.type === 'visualization')).toHaveLength(6);
    expect(objects.filter((o) => o.type === 'dashboard')).toHaveLength(1);
    expect(objects.filter((o) => o.type === 'search')).toHaveLength(1);
  });

  it('references only fields of the index template mapping, aggregatable where aggregated', async () => {
    const res = await store.client.indices.getMapping({ index: store.config.names.eventsAlias });
    const live = Object.values(res.body as Record<string, { mappings: MappingNode }>).map((m) => m.mappings);
    expect(live.length).toBeGreaterThan(0);
    // the template as shipped, and the mapping the seeded indices actually got from it
    const mappings = [eventMappings() as MappingNode, ...live];
    const { fields, aggFields } = referencedFields(buildSavedObjects(store.config.names) as Saved[]);
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
    const { queries } = referencedFields(buildSavedObjects(store.config.names) as Saved[]);
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
});
