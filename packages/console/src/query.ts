/**
 * The console's state lives in the URL fragment (`#/events?accounts=…&eventNames=…&from=24h`), in the /v1/events
 * query-string names, so that a link reproduces the view and the same parameters go to the API unchanged. The
 * fragment never reaches the server, and the API key is never in it.
 */

export interface FilterField {
  param: string;
  label: string;
  placeholder: string;
}

export const FILTER_FIELDS: FilterField[] = [
  { param: 'accounts', label: 'Account', placeholder: '123456789012' },
  { param: 'regions', label: 'Region', placeholder: 'us-east-1' },
  { param: 'eventNames', label: 'Event name', placeholder: 'ConsoleLogin' },
  { param: 'eventSources', label: 'Event source', placeholder: 's3.amazonaws.com' },
  { param: 'users', label: 'Principal', placeholder: 'user name, session name or ARN' },
  { param: 'accessKeyIds', label: 'Access key', placeholder: 'AKIA…' },
  { param: 'sourceIps', label: 'Source IP', placeholder: '203.0.113.7 or 10.0.0.0/8' },
  { param: 'errorCodes', label: 'Error code', placeholder: 'AccessDenied' },
  { param: 'resourceNames', label: 'Resource', placeholder: 'ARN or name' },
  { param: 'field', label: 'Field = value', placeholder: 'requestParameters.bucketName=logs' },
  { param: 'text', label: 'Text', placeholder: 'free text' },
];

export const BOOLEAN_FILTERS = [
  { param: 'errorsOnly', label: 'Errors only' },
  { param: 'readOnly', label: 'Read-only' },
] as const;

export const TIME_PRESETS: Array<{ value: string; label: string }> = [
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: '90d', label: 'Last 90 days' },
  { value: 'all', label: 'All time' },
  { value: 'absolute', label: 'Absolute range' },
];

export type Route =
  | { view: 'events'; params: URLSearchParams }
  | { view: 'event'; id: string }
  | { view: 'findings'; params: URLSearchParams }
  | { view: 'insights'; params: URLSearchParams };

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const q = h.indexOf('?');
  const path = q >= 0 ? h.slice(0, q) : h;
  const params = new URLSearchParams(q >= 0 ? h.slice(q + 1) : '');
  if (path.startsWith('/event/')) return { view: 'event', id: decodeURIComponent(path.slice('/event/'.length)) };
  if (path === '/findings') return { view: 'findings', params };
  if (path === '/insights') return { view: 'insights', params };
  return { view: 'events', params };
}

export function eventsHash(params: URLSearchParams): string {
  const s = params.toString();
  return s ? `#/events?${s}` : '#/events';
}

export function eventHash(id: string): string {
  return `#/event/${encodeURIComponent(id)}`;
}

/** Which preset the range in `params` is: no `from` is all time; a duration `from` without `to` is a preset. */
export function presetOf(params: URLSearchParams): string {
  const from = params.get('from');
  if (!from) return 'all';
  if (!params.get('to') && TIME_PRESETS.some((p) => p.value === from)) return from;
  return 'absolute';
}

/** Parameters of the view itself (the table's columns, the histogram's stacking field), never sent to the API. */
export const VIEW_PARAMS = ['columns', 'stackBy'] as const;
const NOT_FILTERS = new Set<string>(['cursor', 'pageSize', ...VIEW_PARAMS]);

/** Query parameters the API takes for events (everything but the console's own). */
export function apiParams(params: URLSearchParams): Array<[string, string]> {
  return [...params.entries()].filter(([k]) => !NOT_FILTERS.has(k));
}

/** The filters of `GET /v1/export`: those of the search, without its sort (an export is whole, oldest first). */
export function exportParams(params: URLSearchParams): Array<[string, string]> {
  return apiParams(params).filter(([k]) => k !== 'sort' && k !== 'includeRaw');
}

/** The same filters as a JSON body (POST /v1/aggregations), lists as arrays and `field=path=value` as `fields`. */
export function filtersBody(params: URLSearchParams): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [k, v] of apiParams(params)) {
    if (k === 'field') {
      const eq = v.indexOf('=');
      const fields = (body.fields ??= {}) as Record<string, string[]>;
      const path = eq > 0 ? v.slice(0, eq) : v;
      (fields[path] ??= []).push(eq > 0 ? v.slice(eq + 1) : '');
    } else if (k === 'errorsOnly' || k === 'readOnly') body[k] = v === 'true';
    else if (k === 'from' || k === 'to' || k === 'text' || k === 'userAgent' || k === 'eventCategory') body[k] = v;
    else ((body[k] ??= []) as string[]).push(v);
  }
  return body;
}

const MINUTE = 60_000;
const INTERVALS: Array<[string, number]> = [
  ['1m', MINUTE],
  ['5m', 5 * MINUTE],
  ['15m', 15 * MINUTE],
  ['30m', 30 * MINUTE],
  ['1h', 60 * MINUTE],
  ['3h', 180 * MINUTE],
  ['12h', 720 * MINUTE],
  ['1d', 1440 * MINUTE],
  ['7d', 7 * 1440 * MINUTE],
  ['30d', 30 * 1440 * MINUTE],
];

/** The smallest fixed interval that covers `spanMs` in at most about 60 bars. */
export function intervalFor(spanMs: number): string {
  for (const [name, ms] of INTERVALS) if (spanMs / ms <= 60) return name;
  return '365d';
}

export function durationMs(d: string): number | undefined {
  const m = /^(\d+)(m|h|d)$/.exec(d);
  if (!m) return undefined;
  return Number(m[1]) * { m: MINUTE, h: 60 * MINUTE, d: 1440 * MINUTE }[m[2] as 'm' | 'h' | 'd'];
}
