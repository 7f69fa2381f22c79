import type { BenchOptions, ScenarioId } from './bench-options';
import type { ResultRow, ScenarioResult } from './bench-results';
import type { BenchStack } from './bench-stack';
import type { MachineFacts } from './machine-facts';

export interface BenchContext {
  options: BenchOptions;
  /** Short random id that keeps this run's namespaces and buckets apart from any other run's. */
  runId: string;
  /** bench/.data: caches, profiles, the bench's own stack (gitignored). */
  dataDir: string;
  /** Set with --profile: where CPU profiles go. */
  profileDir?: string;
  machine: MachineFacts;
  log(message: string): void;
  /** The services, started on first use (the parse scenario needs none). */
  stack(): Promise<BenchStack>;
  /** A namespace of this run: `b<runId>-<suffix>`. */
  namespace(suffix: string): string;
  /** Runs at the end of the bench, newest first, even when a scenario failed. */
  onCleanup(fn: () => Promise<void>): void;
  /** Hand-over between scenarios (e.g. the ingested namespace the query scenario reads). */
  shared: Map<string, unknown>;
}

/** What a scenario writes while it runs, so a failure half-way still reports what was measured. */
export interface ScenarioOutput {
  method: string[];
  data: Record<string, number | string>;
  rows: ResultRow[];
  figures: Record<string, unknown>;
  notes: string[];
}

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** What the machine lacks for this scenario, checked for every selected scenario before any of them runs. */
  missing?(): string | undefined;
  run(ctx: BenchContext, out: ScenarioOutput): Promise<void>;
}

export function emptyOutput(): ScenarioOutput {
  return { method: [], data: {}, rows: [], figures: {}, notes: [] };
}

export type { ScenarioResult };
