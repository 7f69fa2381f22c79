import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api';
import { TIME_PRESETS, apiParams, eventHash } from '../query';
import { insightSeries, type InsightEvent, type InsightSeries } from '../insights';

/** Insight records read at most (each insight is a Start and an End): a view, not an export. */
const MAX_RECORDS = 5000;
const PAGE_SIZE = 1000;
const RANGE_FILTERS = new Set(['accounts', 'regions', 'from', 'to']);

function rate(v: number): string {
  return v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2);
}

function iso(ms: number | undefined): string {
  return ms === undefined ? 'ongoing' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

interface State {
  series?: InsightSeries[];
  records?: number;
  truncated?: boolean;
  error?: string;
}

/**
 * One timeline per API: each insight a band from its Start to its End, as high as its rate per minute, over a
 * band as high as its baseline; the same figures in a table beside it. Reads the Insights records
 * (eventCategory Insight, those AWS delivered and those trailscope computed) through /v1/events.
 */
function Timeline({ s, fromMs, toMs }: { s: InsightSeries; fromMs: number; toMs: number }) {
  const width = 1000;
  const height = 60;
  const span = Math.max(60_000, toMs - fromMs);
  const max = Math.max(...s.insights.map((i) => Math.max(i.insightAverage, i.baselineAverage)), 1e-9);
  const x = (ms: number) => ((ms - fromMs) / span) * width;
  const h = (v: number) => Math.max(1, (v / max) * height);
  return (
    <svg class="timeline" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={`Insights of ${s.eventName} over time`}>
      {s.insights.map((i) => {
        const x0 = x(i.startMs);
        const w = Math.max(3, x(i.endMs ?? toMs) - x0);
        return (
          <g>
            <rect class="insight-rate" x={x0} y={height - h(i.insightAverage)} width={w} height={h(i.insightAverage)}>
              <title>{`${iso(i.startMs)} to ${iso(i.endMs)}: ${rate(i.insightAverage)} a minute`}</title>
            </rect>
            <rect class="baseline-rate" x={x0} y={height - h(i.baselineAverage)} width={w} height={h(i.baselineAverage)}>
              <title>{`baseline ${rate(i.baselineAverage)} a minute`}</title>
            </rect>
          </g>
        );
      })}
    </svg>
  );
}

export function Insights({ api, params }: { api: Api; params: URLSearchParams }) {
  const key = params.toString();
  const [s, setS] = useState<State>({});
  useEffect(() => {
    let live = true;
    setS({});
    (async () => {
      const filters: Array<[string, string]> = [...apiParams(params).filter(([k]) => RANGE_FILTERS.has(k)), ['eventCategory', 'Insight'], ['sort', 'asc']];
      const records: InsightEvent[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.events(filters, cursor, PAGE_SIZE);
        records.push(...(page.events as InsightEvent[]));
        cursor = page.cursor;
      } while (cursor && records.length < MAX_RECORDS);
      if (live) setS({ series: insightSeries(records), records: records.length, truncated: Boolean(cursor) });
    })().catch((err: unknown) => live && setS({ error: err instanceof Error ? err.message : String(err) }));
    return () => {
      live = false;
    };
  }, [key]);

  function range(value: string) {
    const next = new URLSearchParams(params);
    next.delete('to');
    if (value === 'all') next.delete('from');
    else next.set('from', value);
    location.hash = `#/insights?${next.toString()}`;
  }

  const all = (s.series ?? []).flatMap((x) => x.insights);
  const fromMs = Math.min(...all.map((i) => i.startMs));
  const lastMs = Math.max(...all.map((i) => i.endMs ?? i.startMs + i.minutes * 60_000));
  // some time on either side, so that an insight shows against the quiet around it
  const padMs = Math.max(30 * 60_000, (lastMs - fromMs) * 0.05);
  const toMs = lastMs + padMs;
  const axisFromMs = fromMs - padMs;
  return (
    <section class="insights" data-testid="insights">
      <h2>Insights</h2>
      <label>
        Time range{' '}
        <select name="range" value={params.get('from') ?? 'all'} onChange={(e) => range(e.currentTarget.value)}>
          {TIME_PRESETS.filter((p) => p.value !== 'absolute').map((p) => (
            <option value={p.value}>{p.label}</option>
          ))}
        </select>
      </label>
      {s.error && (
        <p class="error" role="alert">
          {s.error}
        </p>
      )}
      {!s.series && !s.error && <p>Reading Insights…</p>}
      {s.series && (
        <p class="total" data-testid="insights-total">
          {`${all.length.toLocaleString('en-US')} insights in ${s.series.length.toLocaleString('en-US')} APIs`}
          {s.truncated ? ` (the first ${s.records?.toLocaleString('en-US')} records; narrow the time range for the rest)` : ''}
        </p>
      )}
      {s.series?.length === 0 && <p class="empty">No Insights in this range. trailscope insights run computes them from stored events.</p>}
      {s.series && s.series.length > 0 && (
        <p class="legend-line">
          <span class="swatch insight-rate" /> insight rate <span class="swatch baseline-rate" /> baseline rate (calls or errors a minute), {iso(axisFromMs)} to {iso(toMs)}
        </p>
      )}
      {s.series?.map((x) => (
        <article class="insight-series" data-series={x.key}>
          <h3>
            {x.eventSource} {x.eventName}
            {x.errorCode ? ` · ${x.errorCode}` : ''} <span class="meta">{`${x.insightType === 'ApiErrorRateInsight' ? 'error rate' : 'call rate'} · ${x.account} · ${x.region}`}</span>
          </h3>
          <Timeline s={x} fromMs={axisFromMs} toMs={toMs} />
          <table class="events">
            <thead>
              <tr>
                <th>Start</th>
                <th>End</th>
                <th>Minutes</th>
                <th>Baseline a minute</th>
                <th>Insight a minute</th>
                <th>Ratio</th>
              </tr>
            </thead>
            <tbody>
              {x.insights.map((i) => (
                <tr data-insight-id={i.id} data-baseline={String(i.baselineAverage)} data-insight={String(i.insightAverage)}>
                  <td class="time">
                    <a href={eventHash(i.startEventId)}>{iso(i.startMs)}</a>
                  </td>
                  <td class="time">{iso(i.endMs)}</td>
                  <td>{String(i.minutes)}</td>
                  <td>{rate(i.baselineAverage)}</td>
                  <td>{rate(i.insightAverage)}</td>
                  <td>{i.baselineAverage > 0 ? `${(i.insightAverage / i.baselineAverage).toFixed(1)}×` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </section>
  );
}
