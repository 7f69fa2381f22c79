import type { FindingDoc } from '@trailscope/detect';
import { FIELDS, type Names } from '@trailscope/model';

export interface SavedObject {
  type: 'index-pattern' | 'search' | 'visualization' | 'dashboard';
  id: string;
  attributes: Record<string, unknown>;
  references: Array<{ name: string; type: string; id: string }>;
  migrationVersion: Record<string, string>;
}

type Agg = { id: string; type: string; schema: string; params: Record<string, unknown> };

const INDEX_REF = 'kibanaSavedObjectMeta.searchSourceJSON.index';

/** Lucene (not DQL) so the same query string can be checked against OpenSearch's query_string in tests. */
function searchSource(query = ''): { searchSourceJSON: string } {
  return { searchSourceJSON: JSON.stringify({ query: { query, language: 'lucene' }, filter: [], indexRefName: INDEX_REF }) };
}

const count = (id = '1'): Agg => ({ id, type: 'count', schema: 'metric', params: {} });
const terms = (id: string, field: string, size: number, schema: string, label?: string): Agg => ({
  id,
  type: 'terms',
  schema,
  params: { field, size, order: 'desc', orderBy: '1', otherBucket: false, otherBucketLabel: 'Other', missingBucket: false, missingBucketLabel: 'Missing', ...(label ? { customLabel: label } : {}) },
});

const TABLE_PARAMS = { perPage: 20, showPartialRows: false, showMetricsAtAllLevels: false, sort: { columnIndex: null, direction: null }, showTotal: false, totalFunc: 'sum', percentageCol: '' };

function histogramParams(label = 'Events'): Record<string, unknown> {
  return {
    type: 'histogram',
    grid: { categoryLines: false },
    categoryAxes: [{ id: 'CategoryAxis-1', type: 'category', position: 'bottom', show: true, style: {}, scale: { type: 'linear' }, labels: { show: true, filter: true, truncate: 100 }, title: {} }],
    valueAxes: [{ id: 'ValueAxis-1', name: 'LeftAxis-1', type: 'value', position: 'left', show: true, style: {}, scale: { type: 'linear', mode: 'normal' }, labels: { show: true, rotate: 0, filter: false, truncate: 100 }, title: { text: label } }],
    seriesParams: [{ show: true, type: 'histogram', mode: 'stacked', data: { label, id: '1' }, valueAxis: 'ValueAxis-1', drawLinesBetweenPoints: true, lineWidth: 2, showCircles: true }],
    addTooltip: true,
    addLegend: true,
    legendPosition: 'right',
    times: [],
    addTimeMarker: false,
    labels: { show: false },
    thresholdLine: { show: false, value: 10, width: 1, style: 'full', color: '#E7664C' },
  };
}

const PIE_PARAMS = { type: 'pie', addTooltip: true, addLegend: true, legendPosition: 'right', isDonut: true, labels: { show: false, values: true, last_level: true, truncate: 100 } };

export interface VisualizationSpec {
  id: string;
  title: string;
  visType: 'histogram' | 'table' | 'pie';
  aggs: Agg[];
  /** Lucene query restricting the visualization. */
  query?: string;
  /** What it counts: events (the default) or findings. */
  over?: 'events' | 'findings';
}

/** A findings index field, checked against the finding's type. */
const FINDING = <K extends keyof FindingDoc>(field: K): K => field;

/** The visualizations of the trailscope dashboard; field names come from the model's FIELDS. */
export function visualizationSpecs(ns: string): VisualizationSpec[] {
  return [
    {
      id: `${ns}-vis-events-over-time`,
      title: 'Events over time by account',
      visType: 'histogram',
      aggs: [
        count(),
        { id: '2', type: 'date_histogram', schema: 'segment', params: { field: FIELDS.eventTime, useNormalizedOpenSearchInterval: true, interval: 'auto', drop_partials: false, min_doc_count: 1, extended_bounds: {} } },
        terms('3', FIELDS.account, 10, 'group', 'Account'),
      ],
    },
    { id: `${ns}-vis-top-event-names`, title: 'Top event names', visType: 'table', aggs: [count(), terms('2', FIELDS.eventName, 20, 'bucket', 'Event name')] },
    { id: `${ns}-vis-top-error-codes`, title: 'Top error codes', visType: 'pie', aggs: [count(), terms('2', FIELDS.errorCode, 10, 'segment', 'Error code')], query: `_exists_:${FIELDS.errorCode}` },
    {
      id: `${ns}-vis-top-principals`,
      title: 'Top principals',
      visType: 'table',
      aggs: [count(), terms('2', FIELDS.userArn, 20, 'bucket', 'Principal ARN'), terms('3', FIELDS.account, 5, 'bucket', 'Account')],
    },
    {
      id: `${ns}-vis-source-ips`,
      title: 'Source IP addresses',
      visType: 'table',
      aggs: [
        count(),
        { id: '4', type: 'cardinality', schema: 'metric', params: { field: FIELDS.userArn, customLabel: 'Principals' } },
        terms('2', FIELDS.sourceIPAddress, 50, 'bucket', 'Source IP'),
      ],
    },
    {
      id: `${ns}-vis-console-signin-no-mfa`,
      title: 'Console sign-ins without MFA',
      visType: 'table',
      aggs: [count(), terms('2', FIELDS.userArn, 50, 'bucket', 'Principal ARN'), terms('3', FIELDS.sourceIPAddress, 20, 'bucket', 'Source IP')],
      query: `${FIELDS.eventName}:ConsoleLogin AND ${FIELDS.additionalEventData}.MFAUsed:No`,
    },
  ];
}

/** The visualizations of the findings dashboard, over the findings index. */
export function findingsVisualizationSpecs(ns: string): VisualizationSpec[] {
  return [
    {
      id: `${ns}-vis-findings-over-time`,
      title: 'Findings over time by level',
      visType: 'histogram',
      over: 'findings',
      aggs: [
        count(),
        { id: '2', type: 'date_histogram', schema: 'segment', params: { field: FINDING('eventTime'), useNormalizedOpenSearchInterval: true, interval: 'auto', drop_partials: false, min_doc_count: 1, extended_bounds: {} } },
        terms('3', FINDING('ruleLevel'), 5, 'group', 'Level'),
      ],
    },
    {
      id: `${ns}-vis-findings-by-rule`,
      title: 'Findings by level and rule',
      visType: 'table',
      over: 'findings',
      aggs: [count(), terms('2', FINDING('ruleLevel'), 5, 'bucket', 'Level'), terms('3', FINDING('ruleId'), 50, 'bucket', 'Rule'), terms('4', FINDING('status'), 3, 'bucket', 'Status')],
    },
  ];
}

/** Saved search columns for the findings in Discover. */
export const FINDINGS_COLUMNS = [
  FINDING('ruleLevel'),
  FINDING('ruleTitle'),
  FINDING('ruleId'),
  FINDING('status'),
  FINDING('account'),
  FINDING('region'),
  FINDING('principal'),
  FINDING('sourceIp'),
  FINDING('eventCount'),
];

function visParams(type: VisualizationSpec['visType'], over: VisualizationSpec['over'] = 'events'): Record<string, unknown> {
  if (type === 'histogram') return histogramParams(over === 'findings' ? 'Findings' : 'Events');
  if (type === 'pie') return PIE_PARAMS;
  return TABLE_PARAMS;
}

/** Saved search columns for Discover. */
export const DISCOVER_COLUMNS = [FIELDS.account, FIELDS.region, FIELDS.eventSource, FIELDS.eventName, FIELDS.userArn, FIELDS.sourceIPAddress, FIELDS.errorCode];

/**
 * OpenSearch Dashboards saved objects for a deployment: an index pattern over the read alias (time field
 * eventTime), a Discover search, the visualizations and a dashboard holding them; and the findings view: an index
 * pattern over the findings index, a search of the open findings, findings by level and rule, and their dashboard. Ids carry the namespace so
 * several deployments can share one Dashboards.
 */
export function buildSavedObjects(names: Pick<Names, 'namespace' | 'eventsAlias' | 'findingsIndex'>): SavedObject[] {
  const ns = names.namespace;
  const indexPatternId = `${ns}-events`;
  const indexRef = [{ name: INDEX_REF, type: 'index-pattern', id: indexPatternId }];
  const findingsPatternId = `${ns}-findings`;
  const findingsRef = [{ name: INDEX_REF, type: 'index-pattern', id: findingsPatternId }];
  const objects: SavedObject[] = [
    {
      type: 'index-pattern',
      id: indexPatternId,
      // no `fields`: Dashboards reads them from the mapping when the pattern is first used, so they never go stale
      attributes: { title: names.eventsAlias, timeFieldName: FIELDS.eventTime },
      references: [],
      migrationVersion: { 'index-pattern': '7.6.0' },
    },
    {
      type: 'search',
      id: `${ns}-search-events`,
      attributes: {
        title: `CloudTrail events (${ns})`,
        description: 'Every CloudTrail event, newest first',
        hits: 0,
        columns: DISCOVER_COLUMNS,
        sort: [[FIELDS.eventTime, 'desc']],
        version: 1,
        kibanaSavedObjectMeta: searchSource(),
      },
      references: indexRef,
      migrationVersion: { search: '7.9.3' },
    },
    {
      type: 'index-pattern',
      id: findingsPatternId,
      attributes: { title: names.findingsIndex, timeFieldName: FINDING('eventTime') },
      references: [],
      migrationVersion: { 'index-pattern': '7.6.0' },
    },
    {
      type: 'search',
      id: `${ns}-search-findings`,
      attributes: {
        title: `Open findings (${ns})`,
        description: 'Detection findings not yet acknowledged or closed, newest first',
        hits: 0,
        columns: FINDINGS_COLUMNS,
        sort: [[FINDING('eventTime'), 'desc']],
        version: 1,
        kibanaSavedObjectMeta: searchSource(`${FINDING('status')}:open`),
      },
      references: findingsRef,
      migrationVersion: { search: '7.9.3' },
    },
  ];
  const specs = visualizationSpecs(ns);
  const findingSpecs = findingsVisualizationSpecs(ns);
  for (const v of [...specs, ...findingSpecs]) {
    objects.push({
      type: 'visualization',
      id: v.id,
      attributes: {
        title: v.title,
        visState: JSON.stringify({ title: v.title, type: v.visType, aggs: v.aggs.map((a) => ({ enabled: true, ...a })), params: visParams(v.visType, v.over) }),
        uiStateJSON: '{}',
        description: '',
        version: 1,
        kibanaSavedObjectMeta: searchSource(v.query),
      },
      references: v.over === 'findings' ? findingsRef : indexRef,
      migrationVersion: { visualization: '7.10.0' },
    });
  }
  const layout = [
    { w: 48, h: 14 },
    { w: 24, h: 15 },
    { w: 24, h: 15 },
    { w: 24, h: 15 },
    { w: 24, h: 15 },
    { w: 48, h: 15 },
  ];
  let x = 0;
  let y = 0;
  const panels = specs.map((_v, i) => {
    const { w, h } = layout[i] ?? { w: 24, h: 15 };
    if (x + w > 48) {
      x = 0;
      y += 15;
    }
    const panel = { version: '2.19.1', gridData: { x, y, w, h, i: String(i + 1) }, panelIndex: String(i + 1), embeddableConfig: {}, panelRefName: `panel_${i}` };
    x += w;
    if (x >= 48) {
      x = 0;
      y += h;
    }
    return panel;
  });
  objects.push({
    type: 'dashboard',
    id: `${ns}-dashboard`,
    attributes: {
      title: `CloudTrail overview (${ns})`,
      hits: 0,
      description: 'Activity across every account and region: volume, actions, errors, principals, sources, sign-ins without MFA',
      panelsJSON: JSON.stringify(panels),
      optionsJSON: JSON.stringify({ hidePanelTitles: false, useMargins: true }),
      version: 1,
      timeRestore: true,
      timeFrom: 'now-7d',
      timeTo: 'now',
      refreshInterval: { pause: true, value: 0 },
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'lucene' }, filter: [] }) },
    },
    references: specs.map((v, i) => ({ name: `panel_${i}`, type: 'visualization', id: v.id })),
    migrationVersion: { dashboard: '7.9.3' },
  });
  // the findings view: findings over time, by level and rule, and the open findings themselves
  const findingPanels = [
    { gridData: { x: 0, y: 0, w: 48, h: 14 }, ref: { type: 'visualization', id: findingSpecs[0]!.id } },
    { gridData: { x: 0, y: 14, w: 24, h: 15 }, ref: { type: 'visualization', id: findingSpecs[1]!.id } },
    { gridData: { x: 24, y: 14, w: 24, h: 15 }, ref: { type: 'search', id: `${ns}-search-findings` } },
  ];
  objects.push({
    type: 'dashboard',
    id: `${ns}-dashboard-findings`,
    attributes: {
      title: `Detection findings (${ns})`,
      hits: 0,
      description: 'Findings of the detection rules: over time by level, by level, rule and status, and the open ones',
      panelsJSON: JSON.stringify(
        findingPanels.map((p, i) => ({ version: '2.19.1', gridData: { ...p.gridData, i: String(i + 1) }, panelIndex: String(i + 1), embeddableConfig: {}, panelRefName: `panel_${i}` })),
      ),
      optionsJSON: JSON.stringify({ hidePanelTitles: false, useMargins: true }),
      version: 1,
      timeRestore: true,
      timeFrom: 'now-30d',
      timeTo: 'now',
      refreshInterval: { pause: true, value: 0 },
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'lucene' }, filter: [] }) },
    },
    references: findingPanels.map((p, i) => ({ name: `panel_${i}`, ...p.ref })),
    migrationVersion: { dashboard: '7.9.3' },
  });
  return objects;
}

/** One object per line, as the saved objects import API reads it. */
export function toNdjson(objects: SavedObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
}
