import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api, EventDoc } from '../api';
import { BOOLEAN_FILTERS, FILTER_FIELDS, TIME_PRESETS, apiParams, eventHash, eventsHash, presetOf } from '../query';
import { COLUMNS, chosenColumns, withColumns, type Column } from '../columns';
import { Histogram } from './histogram';
import { DownloadButtons } from './download-buttons';

const PAGE_SIZE = 100;
/** A performance mark set once per page load, when the first rows of results are rendered. */
export const FIRST_ROWS_MARK = 'trailscope:first-rows';

function go(params: URLSearchParams) {
  location.hash = eventsHash(params);
}

function TimeRange({ params }: { params: URLSearchParams }) {
  const preset = presetOf(params);
  const [from, setFrom] = useState(preset === 'absolute' ? (params.get('from') ?? '') : '');
  const [to, setTo] = useState(preset === 'absolute' ? (params.get('to') ?? '') : '');
  const [mode, setMode] = useState(preset);
  useEffect(() => setMode(preset), [preset]);

  function choose(value: string) {
    setMode(value);
    if (value === 'absolute') return;
    const next = new URLSearchParams(params);
    next.delete('to');
    if (value === 'all') next.delete('from');
    else next.set('from', value);
    go(next);
  }
  function apply(e: Event) {
    e.preventDefault();
    const next = new URLSearchParams(params);
    if (from.trim()) next.set('from', from.trim());
    else next.delete('from');
    if (to.trim()) next.set('to', to.trim());
    else next.delete('to');
    go(next);
  }
  return (
    <form class="time-range" onSubmit={apply}>
      <label>
        Time range{' '}
        <select name="range" value={mode} onChange={(e) => choose(e.currentTarget.value)}>
          {TIME_PRESETS.map((p) => (
            <option value={p.value}>{p.label}</option>
          ))}
        </select>
      </label>
      {mode === 'absolute' && (
        <>
          <input name="from" placeholder="from: 2026-03-01T00:00:00Z" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          <input name="to" placeholder="to: 2026-03-02T23:59:59Z" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          <button type="submit">Apply</button>
        </>
      )}
    </form>
  );
}

function Filters({ params }: { params: URLSearchParams }) {
  const [field, setField] = useState(FILTER_FIELDS[0]!.param);
  const [value, setValue] = useState('');
  const chips: Array<[string, string]> = [...params.entries()].filter(([k]) => FILTER_FIELDS.some((f) => f.param === k));
  const placeholder = FILTER_FIELDS.find((f) => f.param === field)?.placeholder ?? '';

  function add(e: Event) {
    e.preventDefault();
    const v = value.trim();
    if (!v) return;
    const next = new URLSearchParams(params);
    // text is one value; every other field is an OR-list
    if (field === 'text') next.set(field, v);
    else if (!next.getAll(field).includes(v)) next.append(field, v);
    setValue('');
    go(next);
  }
  function remove(k: string, v: string) {
    const next = new URLSearchParams();
    for (const [pk, pv] of params.entries()) if (!(pk === k && pv === v)) next.append(pk, pv);
    go(next);
  }
  function toggle(k: string, on: boolean) {
    const next = new URLSearchParams(params);
    if (on) next.set(k, 'true');
    else next.delete(k);
    go(next);
  }
  return (
    <div class="filters">
      <form class="add-filter" onSubmit={add}>
        <select name="filterField" aria-label="Filter field" value={field} onChange={(e) => setField(e.currentTarget.value)}>
          {FILTER_FIELDS.map((f) => (
            <option value={f.param}>{f.label}</option>
          ))}
        </select>
        <input name="filterValue" aria-label="Filter value" placeholder={placeholder} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        <button type="submit">Add filter</button>
        {BOOLEAN_FILTERS.map((b) => (
          <label class="check">
            <input type="checkbox" name={b.param} checked={params.get(b.param) === 'true'} onChange={(e) => toggle(b.param, e.currentTarget.checked)} />
            {b.label}
          </label>
        ))}
      </form>
      <ul class="chips" aria-label="Active filters">
        {chips.map(([k, v]) => (
          <li class="chip" data-param={k}>
            <span>{FILTER_FIELDS.find((f) => f.param === k)?.label}: </span>
            <strong>{v}</strong>
            <button type="button" aria-label={`Remove ${k} ${v}`} onClick={() => remove(k, v)}>
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

interface Results {
  /** The filters these results answer (the view's key). */
  query?: string;
  events: EventDoc[];
  total?: number;
  cursor?: string;
  loading: boolean;
  error?: string;
}

/** Which columns the table shows: a checkbox per column, kept in the URL and as this browser's default. */
function ColumnChooser({ params, columns }: { params: URLSearchParams; columns: Column[] }) {
  const shown = new Set(columns.map((c) => c.id));
  function toggle(id: string, on: boolean) {
    const ids = COLUMNS.map((c) => c.id).filter((c) => (c === id ? on : shown.has(c)));
    // an empty table helps no one: the last column stays
    if (ids.length === 0) return;
    go(withColumns(params, ids));
  }
  return (
    <details class="columns" data-testid="column-chooser">
      <summary>Columns ({columns.length})</summary>
      <fieldset>
        <legend>Columns shown</legend>
        {COLUMNS.map((c) => (
          <label class="check">
            <input type="checkbox" name={`column-${c.id}`} checked={shown.has(c.id)} onChange={(e) => toggle(c.id, e.currentTarget.checked)} />
            {c.label}
          </label>
        ))}
      </fieldset>
    </details>
  );
}

function ResultsTable({ api, params }: { api: Api; params: URLSearchParams }) {
  // the view's own parameters (columns, stacking) change no row: a new search only when the filters change
  const key = new URLSearchParams(apiParams(params)).toString();
  const columns = chosenColumns(params);
  const [r, setR] = useState<Results>({ events: [], loading: true });
  const generation = useRef(0);
  const sentinel = useRef<HTMLDivElement>(null);

  function load(cursor: string | undefined, into: EventDoc[], gen: number) {
    // an observer set up for the previous query may still fire once: it must not touch the new query's rows
    if (gen !== generation.current) return;
    setR({ query: key, events: into, total: cursor ? r.total : undefined, cursor, loading: true });
    api.events(apiParams(params), cursor, PAGE_SIZE).then(
      (page) => {
        if (gen !== generation.current) return;
        setR({ query: key, events: [...into, ...page.events], total: page.total, cursor: page.cursor, loading: false });
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setR({ query: key, events: into, total: undefined, cursor, loading: false, error: err instanceof Error ? err.message : String(err) });
      },
    );
  }

  useEffect(() => {
    generation.current += 1;
    load(undefined, [], generation.current);
  }, [key]);

  // endless scrolling: the next page is asked for when the end of the table comes into view
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !r.cursor || r.loading || r.error) return;
    const gen = generation.current;
    const obs = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        obs.disconnect();
        load(r.cursor, r.events, gen);
      }
    });
    obs.observe(el);
    return () => obs.disconnect();
  }, [r.cursor, r.loading, r.error, r.events.length]);

  // the moment the first rows of a query are on screen, for the performance API (the bench reads it)
  useEffect(() => {
    if (r.events.length > 0 && performance.getEntriesByName(FIRST_ROWS_MARK).length === 0) performance.mark(FIRST_ROWS_MARK);
  }, [r.events.length > 0]);

  function open(e: EventDoc) {
    location.hash = eventHash(e.id);
  }

  return (
    <section class="results" data-query={r.loading ? undefined : r.query}>
      <ColumnChooser params={params} columns={columns} />
      <p class="total" data-testid="total">
        {r.total === undefined ? (r.loading ? 'Searching…' : '') : `${r.total.toLocaleString('en-US')} events`}
        {r.total !== undefined && r.events.length < r.total ? ` · ${r.events.length.toLocaleString('en-US')} shown` : ''}
      </p>
      {r.error && (
        <p class="error" role="alert" data-testid="error">
          {r.error}
        </p>
      )}
      {!r.loading && !r.error && r.events.length === 0 && <p class="empty">No events match this query and time range.</p>}
      {r.events.length > 0 && (
        <table class="events" data-testid="events">
          <thead>
            <tr>
              {columns.map((c) => (
                <th data-column={c.id}>{c.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {r.events.map((e) => (
              <tr key={e.id} data-event-id={e.id} tabIndex={0} onClick={() => open(e)} onKeyDown={(k) => k.key === 'Enter' && open(e)}>
                {columns.map((c) =>
                  c.id === 'eventName' ? (
                    <td data-column={c.id}>
                      <a href={eventHash(e.id)}>{e.eventName}</a>
                    </td>
                  ) : (
                    <td data-column={c.id} class={c.cls}>
                      {c.value(e)}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div ref={sentinel} class="sentinel" data-testid={r.cursor ? 'more' : 'end'}>
        {r.loading && r.events.length > 0 ? 'Loading more…' : ''}
      </div>
    </section>
  );
}

export function EventHistory({ api, params }: { api: Api; params: URLSearchParams }) {
  return (
    <div class="history">
      <div class="toolbar">
        <TimeRange params={params} />
        <DownloadButtons api={api} params={params} />
      </div>
      <Filters params={params} />
      <Histogram api={api} params={params} />
      <ResultsTable api={api} params={params} />
    </div>
  );
}
