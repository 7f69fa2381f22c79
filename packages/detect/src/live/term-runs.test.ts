import { newTermsMatches, type NewTermsRule, type Observation } from '@trailscope/rules';
import { addOccurrence, decodeRuns, encodeRuns, isCovered, isNewTerm, type Occurrence, type TermRun } from './term-runs';

const H = 100;

/** A small deterministic generator (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Ev extends Occurrence {
  term: string;
}

/**
 * What live detection does with the store, in miniature: batches of events (in any order, some repeated) add their
 * occurrences, create a finding for each new event that is a run's first, and close earlier findings about the same
 * terms, within a history span after the batch's events, that are no longer new.
 */
function live(batches: Ev[][]): Set<string> {
  const store = new Map<string, TermRun[]>();
  const open = new Map<string, Ev>();
  for (const batch of batches) {
    const terms = new Set(batch.map((e) => e.term));
    for (const e of batch) store.set(e.term, addOccurrence(store.get(e.term) ?? [], e, H));
    for (const e of batch) if (isNewTerm(store.get(e.term) ?? [], e)) open.set(e.id, e);
    const minMs = Math.min(...batch.map((e) => e.t));
    const maxMs = Math.max(...batch.map((e) => e.t));
    for (const [id, f] of open) {
      if (terms.has(f.term) && f.t >= minMs && f.t <= maxMs + H && isCovered(store.get(f.term) ?? [], f, H)) open.delete(id);
    }
  }
  return new Set(open.keys());
}

function expected(events: Ev[]): Set<string> {
  const rule = { id: 'r', historyMs: H } as unknown as NewTermsRule;
  const obs: Observation[] = events.map((e) => ({ t: e.t, key: e.term, meta: { eventId: e.id, eventTime: new Date(e.t).toISOString() } }));
  return new Set(newTermsMatches(rule, obs).map((m) => m.eventIds[0] as string));
}

describe('term runs', () => {
  it('give the first occurrence of each run, whatever the order and batches the occurrences come in', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = random(seed);
      const n = 1 + Math.floor(rnd() * 40);
      const events: Ev[] = [];
      for (let i = 0; i < n; i++) {
        // times on a coarse grid make ties and exact history-span gaps common
        events.push({ t: Math.floor(rnd() * 20) * 25, id: `e${String(i).padStart(3, '0')}`, term: `["t${Math.floor(rnd() * 3)}"]` });
      }
      const shuffled = [...events].sort(() => rnd() - 0.5);
      const batches: Ev[][] = [];
      for (let i = 0; i < shuffled.length; ) {
        const size = 1 + Math.floor(rnd() * 6);
        batches.push(shuffled.slice(i, i + size));
        // a replayed batch (a crash before its files were forgotten) changes nothing
        if (rnd() < 0.2) batches.push(shuffled.slice(i, i + size));
        i += size;
      }
      expect({ seed, open: [...live(batches)].sort() }).toEqual({ seed, open: [...expected(events)].sort() });
    }
  });

  it('merge when an occurrence bridges two runs, and take an earlier first occurrence within a history span', () => {
    let runs: TermRun[] = [];
    runs = addOccurrence(runs, { t: 0, id: 'a' }, H);
    runs = addOccurrence(runs, { t: 150, id: 'b' }, H);
    expect(runs.map((r) => [r.first.id, r.last.id])).toEqual([['a', 'a'], ['b', 'b']]);
    runs = addOccurrence(runs, { t: 99, id: 'c' }, H);
    expect(runs.map((r) => [r.first.id, r.last.id])).toEqual([['a', 'b']]);
    expect(isNewTerm(runs, { t: 150, id: 'b' })).toBe(false);
    expect(isCovered(runs, { t: 150, id: 'b' }, H)).toBe(true);
    runs = addOccurrence(runs, { t: -50, id: 'd' }, H);
    expect(isNewTerm(runs, { t: -50, id: 'd' })).toBe(true);
    expect(isNewTerm(runs, { t: 0, id: 'a' })).toBe(false);
    // exactly a history span later is a new term again (stateful.ts: last seen at least that long ago)
    runs = addOccurrence(runs, { t: 250, id: 'e' }, H);
    expect(isNewTerm(runs, { t: 250, id: 'e' })).toBe(true);
    expect(addOccurrence(runs, { t: 250, id: 'e' }, H)).toEqual(runs);
  });

  it('round-trip through their stored form and refuse a malformed one, naming it', () => {
    const runs: TermRun[] = [{ first: { t: 1, id: 'a' }, last: { t: 5, id: 'b' } }];
    expect(decodeRuns(encodeRuns(runs), 'here')).toEqual(runs);
    expect(() => decodeRuns('{', 'store x, term y')).toThrow('store x, term y: not JSON');
    expect(() => decodeRuns('[[1,"a"]]', 'store x, term y')).toThrow('store x, term y: a run is not [firstTime, firstId, lastTime, lastId]');
  });
});
