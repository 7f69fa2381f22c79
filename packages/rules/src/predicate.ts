import { fieldValues } from './field-values';
import { runValueTest, type ValueTest } from './value-test';

/** The compiled form of a Sigma detection: what match() runs and what the DSL compiler reads. */
export type Predicate =
  | { t: 'and'; c: Predicate[] }
  | { t: 'or'; c: Predicate[] }
  | { t: 'not'; c: Predicate }
  | { t: 'const'; v: boolean }
  | FieldPredicate
  | KeywordPredicate;

export interface FieldPredicate {
  t: 'field';
  path: string;
  segs: string[];
  tests: ValueTest[];
  all: boolean;
}

/** Sigma keywords: values searched in every leaf of the record. */
export interface KeywordPredicate {
  t: 'keyword';
  tests: ValueTest[];
  all: boolean;
}

const ROOT: string[] = [];

function runTests(tests: ValueTest[], all: boolean, values: ReturnType<typeof fieldValues>, record: unknown): boolean {
  if (all) {
    for (const t of tests) if (!runValueTest(t, values, record)) return false;
    return true;
  }
  for (const t of tests) if (runValueTest(t, values, record)) return true;
  return false;
}

export function evaluate(p: Predicate, record: unknown): boolean {
  switch (p.t) {
    case 'and':
      for (const c of p.c) if (!evaluate(c, record)) return false;
      return true;
    case 'or':
      for (const c of p.c) if (evaluate(c, record)) return true;
      return false;
    case 'not':
      return !evaluate(p.c, record);
    case 'const':
      return p.v;
    case 'field':
      return runTests(p.tests, p.all, fieldValues(record, p.segs), record);
    case 'keyword':
      return runTests(p.tests, p.all, fieldValues(record, ROOT), record);
  }
}
