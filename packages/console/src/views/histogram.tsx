import { useEffect, useState } from 'preact/hooks';
import type { AggBucket, AggregationResult, Api } from '../api';
import { apiParams, durationMs, eventsHash, filtersBody, intervalFor } from '../query';

interface State {
  buckets?: AggBucket[];
  interval?: string;
  series?: Series[];
  error?: string;
}

function parseInstant(v: string | null): number | undefined {
  if (!v) return undefined;
  if (v === 'now') return Date.now();
  const d = durationMs(v);
  if (d !== undefined) return Date.now() - d;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The span the histogram covers: the query's own range, else from the oldest to the newest matching event, which
 * then bound the aggregation too (left open, the server would count buckets up to now, and a stacked histogram
 * over an old trail would exceed its bucket budget).
 */
async function spanOf(api: Api, params: URLSearchParams): Promise<{ spanMs: number; range?: { from: string; to: string } } | undefined> {
  const from = parseInstant(params.get('from'));
  const to = parseInstant(params.get('to')) ?? Date.now();
  if (from !== undefined) return { spanMs: to - from };
  const base = apiParams(params).filter(([k]) => k !== 'sort');
  const [newest, oldest] = await Promise.all([api.events(base, undefined, 1), api.events([...base, ['sort', 'asc']], undefined, 1)]);
  const a = oldest.events[0];
  const b = newest.events[0];
  if (!a || !b) return undefined;
  const range = { from: new Date(Date.parse(a.eventTime)).toISOString(), to: new Date(Date.parse(b.eventTime)).toISOString() };
  return { spanMs: Date.parse(b.eventTime) - Date.parse(a.eventTime), range };
}

/** Fields the bars can be stacked by: keyword fields of the aggregation API. */
export const STACK_FIELDS: Array<{ field: string; label: string }> = [
  { field: 'account', label: 'Account' },
  { field: 'region', label: 'Region' },
  { field: 'eventName', label: 'Event name' },
  { field: 'eventSource', label: 'Event source' },
  { field: 'errorCode', label: 'Error code' },
  { field: 'userIdentity.type', label: 'Identity type' },
  { field: 'userIdentity.arn', label: 'Principal ARN' },
  { field: 'sourceIPAddress', label: 'Source IP' },
  { field: 'readOnly', label: 'Read-only' },
  { field: 'eventType', label: 'Event type' },
  { field: 'eventCategory', label: 'Category' },
];

/** Values stacked by name; the rest of each bar (other values, or none) is one grey segment. */
const STACK_TOP = 5;
const OTHER = 'other';

interface Series {
  name: string;
  counts: Map<string, number>;
}

/**
 * The top values of the field over the whole query, each with its own histogram (a terms aggregation over a
 * date_histogram), and the histogram of every matching event beside it: a bar's "other" segment is its total less
 * the top values' counts, exact whatever the values are.
 */
function stackedSeries(res: AggregationResult): Series[] {
  const top = res.aggs.stack?.buckets ?? [];
  return top.map((t) => ({ name: t.key, counts: new Map((t.aggs?.overTime?.buckets ?? []).map((b) => [b.key, b.count])) }));
}

function go(params: URLSearchParams) {
  location.hash = eventsHash(params);
}

/** Matching events over time (POST /v1/aggregations, date_histogram), drawn as SVG bars with the count in a title; stacked by a field when one is chosen. */
export function Histogram({ api, params }: { api: Api; params: URLSearchParams }) {
  const stackBy = STACK_FIELDS.some((f) => f.field === params.get('stackBy')) ? (params.get('stackBy') as string) : undefined;
  const key = new URLSearchParams(apiParams(params)).toString() + '|' + (stackBy ?? '');
  const [s, setS] = useState<State>({});
  useEffect(() => {
    let live = true;
    setS({});
    (async () => {
      const span = await spanOf(api, params);
      if (span === undefined) return setS({ buckets: [] });
      const interval = intervalFor(Math.max(span.spanMs, 60_000));
      const aggs: Record<string, unknown> = { histogram: { type: 'date_histogram', interval } };
      if (stackBy) aggs.stack = { type: 'terms', field: stackBy, size: STACK_TOP, aggs: { overTime: { type: 'date_histogram', interval } } };
      const res = await api.aggregate({ ...filtersBody(params), ...span.range }, aggs);
      if (live) setS({ buckets: res.aggs.histogram?.buckets ?? [], interval, series: stackBy ? stackedSeries(res) : undefined });
    })().catch((err: unknown) => live && setS({ error: err instanceof Error ? err.message : String(err) }));
    return () => {
      live = false;
    };
  }, [key]);

  function stack(field: string) {
    const next = new URLSearchParams(params);
    if (field) next.set('stackBy', field);
    else next.delete('stackBy');
    go(next);
  }

  const chooser = (
    <label class="stack-by">
      Stack by{' '}
      <select name="stackBy" value={stackBy ?? ''} onChange={(e) => stack(e.currentTarget.value)}>
        <option value="">nothing</option>
        {STACK_FIELDS.map((f) => (
          <option value={f.field}>{f.label}</option>
        ))}
      </select>
    </label>
  );
  if (s.error) {
    return (
      <div class="histogram">
        {chooser}
        <p class="error histogram-error">Histogram: {s.error}</p>
      </div>
    );
  }
  const buckets = s.buckets ?? [];
  const series = s.series ?? [];
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const width = 1000;
  const height = 80;
  const w = buckets.length ? width / buckets.length : width;
  const scale = (n: number) => (n / max) * height;
  return (
    <figure class="histogram" data-testid="histogram" data-buckets={String(buckets.length)} data-stack-by={stackBy ?? ''}>
      {chooser}
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label="Matching events over time">
        {buckets.map((b, i) => {
          const h = b.count === 0 ? 0 : Math.max(2, scale(b.count));
          const x = i * w + 1;
          const bw = Math.max(1, w - 2);
          if (!stackBy) {
            return (
              <rect class="bar" x={x} y={height - h} width={bw} height={h} data-key={b.key} data-count={String(b.count)}>
                <title>{`${b.key}: ${b.count}`}</title>
              </rect>
            );
          }
          // segments bottom-up in legend order, the rest of the bar on top
          let y = height;
          const parts: Array<[string, number, number]> = series.map((sr, si) => [sr.name, sr.counts.get(b.key) ?? 0, si]);
          const rest = b.count - parts.reduce((n, [, c]) => n + c, 0);
          parts.push([OTHER, rest, series.length]);
          return (
            <g>
              <rect class="bar total" x={x} y={height - h} width={bw} height={h} data-key={b.key} data-count={String(b.count)} />
              {parts
                .filter(([, c]) => c > 0)
                .map(([name, c, si]) => {
                  const sh = (c / b.count) * h;
                  y -= sh;
                  return (
                    <rect
                      class={`seg seg-${si < series.length ? si : 'other'}`}
                      x={x}
                      y={y}
                      width={bw}
                      height={sh}
                      data-key={b.key}
                      data-series={si < series.length ? name : undefined}
                      data-rest={si < series.length ? undefined : 'true'}
                      data-count={String(c)}
                    >
                      <title>{`${b.key} ${name}: ${c}`}</title>
                    </rect>
                  );
                })}
            </g>
          );
        })}
      </svg>
      {stackBy && series.length > 0 && (
        <ul class="legend" data-testid="legend">
          {series.map((sr, si) => (
            <li data-series={sr.name}>
              <span class={`swatch seg-${si}`} />
              {sr.name}
            </li>
          ))}
          <li data-rest="true">
            <span class="swatch seg-other" />
            other values or none
          </li>
        </ul>
      )}
      <figcaption>
        {buckets.length > 0 ? `${buckets[0]!.key} … ${buckets[buckets.length - 1]!.key}, one bar per ${s.interval}, highest ${max}` : s.buckets ? 'no events' : 'counting…'}
      </figcaption>
    </figure>
  );
}
