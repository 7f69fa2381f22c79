import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const SCENARIO_IDS = ['parse', 'discovery', 'ingest', 'query', 'hostile', 'console', 'storage', 'memory', 'scaling', 'detect', 'costs', 'insights', 'evidence', 'alerts'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export type BenchMode = 'quick' | 'full';

/** Data sizes of one mode. Quick mode keeps the whole run under five minutes on a two-core machine. */
export interface BenchSizes {
  /** Events parsed in process by the parse scenario (files of `eventsPerFile`). */
  parseEvents: number;
  /** Timed rounds of the parse scenario, each a baseline pass and our pass back to back. */
  parseRounds: number;
  /** Events of the bucket ingested end to end, then queried and measured for storage. */
  ingestEvents: number;
  /** Back-to-back rounds of our ingest and the bulk baseline; the ratio is the median of the rounds' ratios. */
  ingestRounds: number;
  eventsPerFile: number;
  /** Log files listed by the discovery scenario. */
  discoveryFiles: number;
  /** Uncompressed sizes of the single log files the memory scenario ingests, smallest first. */
  memoryFileBytes: number[];
  /** V8 old-space cap (MiB) of an extra worker run on the largest file, showing how much of the RSS is heap headroom; 0 = no such run. */
  memoryHeapCapMiB: number;
  /** Timed repetitions of each query after warm-up. */
  queryRepetitions: number;
  /** Pages fetched through a cursor before the deep-page timings start. */
  deepPageSkipPages: number;
  /** Write events per 7 days in the insights scenario (it stores 14 days: the analysed week and its baseline week). */
  insightsEventsPerWeek: number;
  /** Series (account, region, API) the insights scenario's events spread over: the live job's active APIs. */
  insightsApis: number;
  /** Timed rounds of `insights run` and its baseline aggregation, back to back. */
  insightsRounds: number;
  /** Timed console loads (each beside one request-alone baseline). */
  consoleLoads: number;
  /** Events the console scenario indexes for itself when the ingest scenario did not run (a multiple of 20,000). */
  consoleEvents: number;
  /** Log files (10 events each) of the evidence scenario's signed trail: validated, and exported when no ingest ran before. */
  evidenceLogFiles: number;
  /** Log files (of `eventsPerFile`) of the alerts scenario, one event in 5 a finding alerted to 3 destinations. */
  alertFiles: number;
}

export const SIZES: Record<BenchMode, BenchSizes> = {
  quick: {
    parseEvents: 100_000,
    parseRounds: 5,
    ingestEvents: 100_000,
    ingestRounds: 2,
    eventsPerFile: 500,
    discoveryFiles: 10_000,
    memoryFileBytes: [64 * 1024 * 1024, 128 * 1024 * 1024],
    memoryHeapCapMiB: 0,
    queryRepetitions: 40,
    deepPageSkipPages: 40,
    insightsEventsPerWeek: 25_000,
    insightsApis: 100,
    insightsRounds: 1,
    consoleLoads: 5,
    consoleEvents: 20_000,
    evidenceLogFiles: 1_000,
    alertFiles: 4,
  },
  full: {
    parseEvents: 1_000_000,
    parseRounds: 3,
    ingestEvents: 1_000_000,
    ingestRounds: 1,
    eventsPerFile: 500,
    discoveryFiles: 100_000,
    memoryFileBytes: [200 * 1024 * 1024, 400 * 1024 * 1024],
    memoryHeapCapMiB: 0,
    queryRepetitions: 100,
    deepPageSkipPages: 200,
    insightsEventsPerWeek: 1_000_000,
    insightsApis: 1000,
    insightsRounds: 2,
    consoleLoads: 30,
    consoleEvents: 1_000_000,
    evidenceLogFiles: 10_000,
    alertFiles: 100,
  },
};

/** `--events` must fill whole files of the main data set: 500 events per file x 80 partitions. */
export const EVENTS_STEP = 40_000;

export interface BenchOptions {
  mode: BenchMode;
  sizes: BenchSizes;
  scenarios: ScenarioId[];
  /** Write V8 CPU profiles of the bench and of every child process into bench/.data/profiles. */
  profile: boolean;
  /** Keep the benchmark namespaces and buckets after the run (for inspection). */
  keep: boolean;
  /** Leave the local stack running after the run. */
  keepStack: boolean;
  /**
   * Replace the committed BENCHMARKS.md and bench/results.json: a full-mode run of every scenario without
   * `--no-write` or `--out` only. Any other run writes its figures under `outDir`.
   */
  outputs: boolean;
  /** Where a run that does not replace the committed files writes results.json (and BENCHMARKS.md for a full set). */
  outDir: string;
  /** Re-render BENCHMARKS.md from bench/results.json (figures untouched) and the current narrative; measure nothing. */
  renderOnly: boolean;
}

const ArgsSchema = z.object({
  quick: z.boolean().default(false),
  only: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return [...SCENARIO_IDS];
      const ids = v.split(',').map((s) => s.trim()).filter(Boolean);
      for (const id of ids) {
        if (!(SCENARIO_IDS as readonly string[]).includes(id)) {
          ctx.addIssue({ code: 'custom', message: `--only: unknown scenario "${id}" (known: ${SCENARIO_IDS.join(', ')})` });
          return z.NEVER;
        }
      }
      return ids as ScenarioId[];
    }),
  profile: z.boolean().default(false),
  keep: z.boolean().default(false),
  'keep-stack': z.boolean().default(false),
  'no-write': z.boolean().default(false),
  'render-only': z.boolean().default(false),
  out: z.string().min(1, '--out: give a directory').optional(),
  events: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const n = /^[0-9]+$/.test(v.replace(/_/g, '')) ? Number(v.replace(/_/g, '')) : Number.NaN;
      if (!Number.isSafeInteger(n) || n <= 0 || n % EVENTS_STEP !== 0) {
        ctx.addIssue({ code: 'custom', message: `--events: "${v}" is not a positive multiple of ${EVENTS_STEP.toLocaleString('en-US')} (whole files of 500 events over 80 account/region/day partitions), e.g. 10000000` });
        return z.NEVER;
      }
      return n;
    }),
});

export const USAGE = `usage: npm run bench -- [--quick] [--events N] [--only parse,discovery,...] [--out DIR] [--profile] [--keep] [--keep-stack] [--no-write] [--render-only]

  --quick        smaller data, under five minutes (default: full mode, 1,000,000 events); figures go to
                 bench/.data/quick/ (or --out), never to the committed BENCHMARKS.md and bench/results.json
  --out DIR      write results.json (and BENCHMARKS.md for a full set of scenarios) into DIR instead
  --only LIST    run only these scenarios (${SCENARIO_IDS.join(', ')})
  --profile      write CPU profiles of the bench and its child processes into bench/.data/profiles
  --keep         keep the benchmark namespaces and buckets afterwards
  --keep-stack   leave the local stack the bench started running
  --events N     events of the main data set (ingest, query, storage, scaling) instead of the mode's size, e.g.
                 --events 10000000 for the 10-million-event run; a multiple of ${EVENTS_STEP.toLocaleString('en-US')}; figures go to
                 bench/.data/<mode>-<N>/ (or --out), never to the committed files
  --no-write     do not write BENCHMARKS.md and bench/results.json (figures go to bench/.data/partial/, or --out)

Only a full-mode run of every scenario without --no-write and --out replaces the committed BENCHMARKS.md and
bench/results.json.
  --render-only  rewrite BENCHMARKS.md from bench/results.json and bench/performance-changes.md; measures nothing

Endpoints: when OPENSEARCH_URL, REDIS_URL and S3_ENDPOINT are all set the bench uses that stack; otherwise it
starts its own local stack in bench/.data/stack.`;

/** The directory of a run's own figures when it does not replace the committed ones. */
export function defaultOutDir(dataDir: string, mode: BenchMode, allScenarios: boolean): string {
  return path.join(dataDir, mode === 'quick' ? 'quick' : allScenarios ? 'full' : 'partial');
}

export function parseBenchOptions(argv: string[], dataDir: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      profile: { type: 'boolean' },
      keep: { type: 'boolean' },
      'keep-stack': { type: 'boolean' },
      'no-write': { type: 'boolean' },
      'render-only': { type: 'boolean' },
      out: { type: 'string' },
      events: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const parsed = ArgsSchema.safeParse(values);
  if (!parsed.success) throw new Error(`${parsed.error.issues[0]?.message ?? 'invalid arguments'}\n\n${USAGE}`);
  const a = parsed.data;
  const mode: BenchMode = a.quick ? 'quick' : 'full';
  const all = a.only.length === SCENARIO_IDS.length;
  const sizes = a.events === undefined ? SIZES[mode] : { ...SIZES[mode], ingestEvents: a.events };
  const sized = a.events !== undefined && a.events !== SIZES[mode].ingestEvents;
  return {
    mode,
    sizes,
    scenarios: a.only,
    profile: a.profile,
    keep: a.keep,
    keepStack: a['keep-stack'],
    outputs: mode === 'full' && all && !a['no-write'] && a.out === undefined && !sized,
    outDir: a.out !== undefined ? path.resolve(a.out) : sized ? path.join(dataDir, `${mode}-${a.events}`) : defaultOutDir(dataDir, mode, all),
    renderOnly: a['render-only'],
  };
}
