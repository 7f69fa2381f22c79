import { findingsMappings } from '@trailscope/detect';
import { namesFor } from '@trailscope/model';
import { buildSavedObjects, toNdjson } from './saved-objects';

describe('dashboards saved objects', () => {
  const names = namesFor('acme');
  const lines = toNdjson(buildSavedObjects(names)).trimEnd().split('\n');
  const objects = lines.map((l) => JSON.parse(l) as { type: string; id: string; attributes: Record<string, unknown>; references: Array<{ type: string; id: string; name: string }> });

  it('is one JSON object per line with an index pattern over the read alias', () => {
    expect(lines.length).toBe(objects.length);
    const patterns = objects.filter((o) => o.type === 'index-pattern');
    expect(patterns.map((p) => p.attributes)).toEqual([
      { title: 'acme-events', timeFieldName: 'eventTime' },
      { title: 'acme-findings', timeFieldName: 'eventTime' },
    ]);
    expect(objects.map((o) => o.type).sort()).toEqual([...Array(2).fill('dashboard'), ...Array(2).fill('index-pattern'), ...Array(2).fill('search'), ...Array(8).fill('visualization')].sort());
  });

  it('references only objects it contains, and each panel has its reference', () => {
    const ids = new Set(objects.map((o) => `${o.type}:${o.id}`));
    for (const o of objects) for (const r of o.references) expect(ids.has(`${r.type}:${r.id}`)).toBe(true);
    const dashboard = objects.find((o) => o.type === 'dashboard')!;
    const panels = JSON.parse(String(dashboard.attributes.panelsJSON)) as Array<{ panelRefName: string }>;
    expect(panels.map((p) => p.panelRefName).sort()).toEqual(dashboard.references.map((r) => r.name).sort());
  });

  it('keeps visState and searchSourceJSON valid JSON', () => {
    for (const o of objects.filter((x) => x.type === 'visualization')) {
      const vis = JSON.parse(String(o.attributes.visState)) as { aggs: unknown[]; type: string };
      expect(vis.aggs.length).toBeGreaterThan(0);
      const meta = o.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string };
      expect(JSON.parse(meta.searchSourceJSON)).toEqual(expect.objectContaining({ indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index' }));
    }
  });

  it('has a findings view whose objects read the findings index and name only fields of the findings mapping', () => {
    const properties = (findingsMappings() as { properties: Record<string, { type: string }> }).properties;
    const findingsPattern = objects.find((o) => o.type === 'index-pattern' && o.attributes.title === names.findingsIndex)!;
    const overFindings = objects.filter((o) => o.references.some((r) => r.type === 'index-pattern' && r.id === findingsPattern.id));
    expect(overFindings.map((o) => `${o.type}:${o.id}`).sort()).toEqual(['search:acme-search-findings', 'visualization:acme-vis-findings-by-rule', 'visualization:acme-vis-findings-over-time']);
    const fields = new Set<string>([String(findingsPattern.attributes.timeFieldName)]);
    const aggregated: string[] = [];
    for (const o of overFindings) {
      for (const c of (o.attributes.columns as string[] | undefined) ?? []) fields.add(c);
      for (const [f] of (o.attributes.sort as string[][] | undefined) ?? []) fields.add(f!);
      if (o.attributes.visState) {
        for (const a of (JSON.parse(String(o.attributes.visState)) as { aggs: Array<{ params: { field?: string } }> }).aggs) if (a.params.field) aggregated.push(a.params.field);
      }
      const query = (JSON.parse((o.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON) as { query: { query: string } }).query.query;
      for (const m of query.matchAll(/([A-Za-z_][\w.]*):/g)) fields.add(m[1]!);
    }
    for (const f of [...fields, ...aggregated]) expect({ f, mapped: properties[f] !== undefined }).toEqual({ f, mapped: true });
    // aggregations need doc values: keyword, date or numeric, never text
    for (const f of aggregated) expect({ f, type: properties[f]!.type }).toEqual({ f, type: expect.stringMatching(/^(keyword|date|integer)$/) });
    expect(aggregated).toEqual(expect.arrayContaining(['ruleLevel', 'ruleId']));
    const dashboard = objects.find((o) => o.id === 'acme-dashboard-findings')!;
    expect(dashboard.references.map((r) => `${r.type}:${r.id}`).sort()).toEqual(overFindings.map((o) => `${o.type}:${o.id}`).sort());
  });
});
