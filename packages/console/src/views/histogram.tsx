import { useEffect, useState } from 'preact/hooks';
import type { AggBucket, Api } from '../api';
import { apiParams, durationMs, filtersBody, intervalFor } from '../query';

interface State {
  buckets?: AggBucket[];
  interval?: string;
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

/** The span the histogram covers: the query's own range, else from the oldest to the newest matching event. */
async function spanOf(api: Api, params: URLSearchParams): Promise<number | undefined> {
  const from = parseInstant(params.get('from'));
  const to = parseInstant(params.get('to')) ?? Date.now();
  if (from !== undefined) return to - from;
  const base = apiParams(params).filter(([k]) => k !== 'sort');
  const [newest, oldest] = await Promise.all([api.events(base, undefined, 1), api.events([...base, ['sort', 'asc']], undefined, 1)]);
  const a = oldest.events[0];
  const b = newest.events[0];
  if (!a || !b) return undefined;
  return Date.parse(b.eventTime) - Date.parse(a.eventTime);
}

/** Matching events over time (POST /v1/aggregations, date_histogram), drawn as SVG bars with the count in a title. */
export function Histogram({ api, params }: { api: Api; params: URLSearchParams }) {
  const key = params.toString();
  const [s, setS] = useState<State>({});
  useEffect(() => {
    let live = true;
    setS({});
    (async () => {
      const span = await spanOf(api, params);
      if (span === undefined) return setS({ buckets: [] });
      const interval = intervalFor(Math.max(span, 60_000));
      const res = await api.aggregate(filtersBody(params), { histogram: { type: 'date_histogram', interval } });
      if (live) setS({ buckets: res.aggs.histogram?.buckets ?? [], interval });
    })().catch((err: unknown) => live && setS({ error: err instanceof Error ? err.message : String(err) }));
    return () => {
      live = false;
    };
  }, [key]);

  if (s.error) return <p class="error histogram-error">Histogram: {s.error}</p>;
  const buckets = s.buckets ?? [];
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const width = 1000;
  const height = 80;
  const w = buckets.length ? width / buckets.length : width;
  return (
    <figure class="histogram" data-testid="histogram" data-buckets={String(buckets.length)}>
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label="Matching events over time">
        {buckets.map((b, i) => {
          const h = b.count === 0 ? 0 : Math.max(2, (b.count / max) * height);
          return (
            <rect class="bar" x={i * w + 1} y={height - h} width={Math.max(1, w - 2)} height={h} data-key={b.key} data-count={String(b.count)}>
              <title>{`${b.key}: ${b.count}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption>
        {buckets.length > 0 ? `${buckets[0]!.key} … ${buckets[buckets.length - 1]!.key}, one bar per ${s.interval}, highest ${max}` : s.buckets ? 'no events' : 'counting…'}
      </figcaption>
    </figure>
  );
}
