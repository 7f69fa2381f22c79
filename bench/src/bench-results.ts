import type { BenchMode, BenchSizes, ScenarioId } from './bench-options';
import type { MachineFacts } from './machine-facts';

/** One line of the summary table: our figure, its baseline from the same run, and the goal. */
export interface ResultRow {
  scenario: ScenarioId;
  name: string;
  ours: { value: number; unit: string; text: string };
  baseline?: { value: number; unit: string; text: string; what: string };
  /** ours relative to the baseline, as `ratioMeaning` says (e.g. "ours ÷ baseline events/s"). */
  ratio?: number;
  ratioMeaning?: string;
  goal: string;
  /** null for rows that only report. */
  met: boolean | null;
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  status: 'ok' | 'failed';
  error?: string;
  startedAt: string;
  durationSeconds: number;
  /** What was measured on what: the data set, processes, settings. */
  method: string[];
  /** Data sizes the scenario ran on. */
  data: Record<string, number | string>;
  rows: ResultRow[];
  /** Every measured figure, machine-readable. */
  figures: Record<string, unknown>;
  notes: string[];
}

export interface BenchResults {
  schemaVersion: 1;
  mode: BenchMode;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  gitCommit?: string;
  machine: MachineFacts;
  stack: { source: string; opensearchUrl: string; s3Endpoint?: string; redisUrl: string };
  settings: Record<string, number | string | boolean>;
  sizes: BenchSizes;
  scenarios: ScenarioResult[];
}
