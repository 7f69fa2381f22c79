import { namesFor } from '@trailscope/model';
import { buildSavedObjects, toNdjson } from './saved-objects';

describe('dashboards saved objects', () => {
  const names = namesFor('acme');
  const lines = toNdjson(buildSavedObjects(names)).trimEnd().split('\n');
  const objects = lines.map((l) => JSON.parse(l) as { type: string; id: string; attributes: Record<string, unknown>; references: Array<{ type: string; id: string; name: string }> });

  it('is one JSON object per line with an index pattern over the read alias', () => {
    expect(lines.length).toBe(objects.length);
    const pattern = objects.find((o) => o.type === 'index-pattern');
    expect(pattern?.attributes).toEqual({ title: 'acme-events', timeFieldName: 'eventTime' });
    expect(objects.map((o) => o.type).sort()).toEqual(['dashboard', 'index-pattern', 'search', ...Array(6).fill('visualization')].sort());
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
});
