/** One occurrence of a term: its event's time (epoch milliseconds) and id. Occurrences are ordered by (time, id). */
export interface Occurrence {
  t: number;
  id: string;
}

/**
 * A run of occurrences of one term, each less than a history span after the one before it: the run's first
 * occurrence is a new term (it fires), the others are not. Between two runs lies at least one history span.
 */
export interface TermRun {
  first: Occurrence;
  last: Occurrence;
}

/** The (time, id) order of stateful evaluation (stateful.ts in @trailscope/rules). */
export function compareOccurrences(a: Occurrence, b: Occurrence): number {
  return a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The runs of a term once `o` has occurred too. `runs` are ordered and apart by a history span at least (as this
 * returns them); adding an occurrence already held changes nothing, so the runs depend on the set of occurrences
 * added, never on the order they were added in. An occurrence that extends a run to the left takes its first
 * place; one that bridges two runs merges them (the later run's first is no longer a new term).
 */
export function addOccurrence(runs: TermRun[], o: Occurrence, historyMs: number): TermRun[] {
  let at = 0;
  while (at < runs.length && compareOccurrences((runs[at] as TermRun).first, o) <= 0) at++;
  const all = [...runs.slice(0, at), { first: o, last: o }, ...runs.slice(at)];
  const out: TermRun[] = [];
  for (const r of all) {
    const prev = out[out.length - 1];
    // r.first's predecessor is prev.last: within a history span (or not after it), r.first is no new term
    if (prev && (compareOccurrences(r.first, prev.last) <= 0 || r.first.t - prev.last.t < historyMs)) {
      if (compareOccurrences(r.last, prev.last) > 0) prev.last = r.last;
    } else out.push({ first: r.first, last: r.last });
  }
  return out;
}

/** Whether `o` is the first occurrence of one of the runs: a new term. */
export function isNewTerm(runs: TermRun[], o: Occurrence): boolean {
  return runs.some((r) => r.first.t === o.t && r.first.id === o.id);
}

/**
 * Whether an occurrence precedes `o` by less than a history span, so that `o` is no new term (whether or not `o`
 * itself is held).
 */
export function isCovered(runs: TermRun[], o: Occurrence, historyMs: number): boolean {
  return runs.some((r) => compareOccurrences(r.first, o) < 0 && (compareOccurrences(o, r.last) <= 0 || o.t - r.last.t < historyMs));
}

/** Runs as stored: `[firstTime, firstId, lastTime, lastId]` per run. */
export function encodeRuns(runs: TermRun[]): string {
  return JSON.stringify(runs.map((r) => [r.first.t, r.first.id, r.last.t, r.last.id]));
}

export function decodeRuns(text: string, where: string): TermRun[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${where}: not JSON`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${where}: not a list of runs`);
  return parsed.map((r: unknown) => {
    if (!Array.isArray(r) || r.length !== 4 || typeof r[0] !== 'number' || typeof r[1] !== 'string' || typeof r[2] !== 'number' || typeof r[3] !== 'string') {
      throw new Error(`${where}: a run is not [firstTime, firstId, lastTime, lastId]`);
    }
    return { first: { t: r[0], id: r[1] }, last: { t: r[2], id: r[3] } };
  });
}
