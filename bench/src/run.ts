import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseBenchOptions, SCENARIO_IDS, USAGE, type BenchOptions } from './bench-options';
import type { BenchResults, ScenarioResult } from './bench-results';
import { openBenchStack, type BenchStack } from './bench-stack';
import { emptyOutput, type BenchContext, type Scenario } from './bench-context';
import { localMachineFacts } from './machine-facts';
import { describeServices } from './describe-services';
import { renderMarkdown } from './render-markdown';
import { SCENARIOS } from './scenarios';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const BENCH_DIR = path.join(REPO_ROOT, 'bench');
const DATA_DIR = path.join(BENCH_DIR, '.data');

function log(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${message}\n`);
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

async function runScenario(scenario: Scenario, ctx: BenchContext): Promise<ScenarioResult> {
  const out = emptyOutput();
  const startedAt = new Date();
  const t0 = performance.now();
  log(`scenario ${scenario.id}: ${scenario.title}`);
  let status: ScenarioResult['status'] = 'ok';
  let error: string | undefined;
  try {
    await scenario.run(ctx, out);
  } catch (err) {
    status = 'failed';
    error = err instanceof Error ? err.message : String(err);
    log(`scenario ${scenario.id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  const durationSeconds = (performance.now() - t0) / 1000;
  for (const r of out.rows) {
    log(`  ${r.name}: ${r.ours.text}${r.baseline ? ` | baseline ${r.baseline.text}` : ''}${r.ratio !== undefined ? ` | ratio ${r.ratio.toFixed(2)}` : ''} | goal ${r.goal} | ${r.met === null ? 'report' : r.met ? 'met' : 'NOT met'}`);
  }
  log(`scenario ${scenario.id} ${status} in ${durationSeconds.toFixed(1)} s`);
  return { id: scenario.id, title: scenario.title, status, error, startedAt: startedAt.toISOString(), durationSeconds, ...out };
}

async function main(options: BenchOptions): Promise<number> {
  // the notice the CLI silences too (packages/cli/bin/trailscope.js): the SDK pinned by the lockfile runs on Node 20
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const startedAt = new Date();
  const runId = randomBytes(3).toString('hex');
  mkdirSync(DATA_DIR, { recursive: true });
  const profileDir = options.profile ? path.join(DATA_DIR, 'profiles', runId) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const machine = localMachineFacts();
  log(`trailscope bench, ${options.mode} mode, run ${runId}: ${options.scenarios.join(', ')}`);
  log(`machine: ${machine.cpuModel} x${machine.cpuCount}, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${machine.node}`);

  const cleanups: Array<() => Promise<void>> = [];
  let stack: BenchStack | undefined;
  let stackPromise: Promise<BenchStack> | undefined;
  const ctx: BenchContext = {
    options,
    runId,
    dataDir: DATA_DIR,
    profileDir,
    machine,
    log,
    stack: () => {
      stackPromise ??= openBenchStack(path.join(DATA_DIR, 'stack'), options.keepStack, log).then(async (s) => {
        stack = s;
        Object.assign(machine, await describeServices(s));
        return s;
      });
      return stackPromise;
    },
    namespace: (suffix) => `b${runId}-${suffix}`,
    onCleanup: (fn) => cleanups.push(fn),
    shared: new Map(),
  };

  const selected = SCENARIOS.filter((s) => options.scenarios.includes(s.id));
  // a run that would fail a scenario for want of a program stops before the others spend an hour
  const lacking = selected.map((s) => s.missing?.()).filter((m): m is string => m !== undefined);
  if (lacking.length > 0) {
    for (const m of lacking) log(m);
    log('nothing was run (select other scenarios with --only to run without it)');
    return 2;
  }
  const results: ScenarioResult[] = [];
  const write = () => {
    const finishedAt = new Date();
    const ordered = [...results].sort((a, b) => SCENARIO_IDS.indexOf(a.id) - SCENARIO_IDS.indexOf(b.id));
    const doc: BenchResults = {
      schemaVersion: 1,
      mode: options.mode,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      gitCommit: gitCommit(),
      machine,
      stack: {
        source: stack?.source ?? 'none (no scenario needed services)',
        opensearchUrl: stack?.endpoints.OPENSEARCH_URL ?? '',
        s3Endpoint: stack?.endpoints.S3_ENDPOINT,
        redisUrl: stack?.endpoints.REDIS_URL ?? '',
      },
      settings: (ctx.shared.get('settings') as Record<string, string | number | boolean> | undefined) ?? {},
      sizes: options.sizes,
      scenarios: ordered,
    };
    if (!options.outputs) {
      // a quick or partial run (--quick, --only, --no-write, --out) never replaces the published figures
      mkdirSync(options.outDir, { recursive: true });
      writeFileSync(path.join(options.outDir, 'results.json'), `${JSON.stringify(doc, null, 2)}\n`);
      if (ordered.length === SCENARIO_IDS.length) {
        writeFileSync(path.join(options.outDir, 'BENCHMARKS.md'), renderMarkdown(doc, readFileSync(path.join(BENCH_DIR, 'performance-changes.md'), 'utf8')));
      }
      return;
    }
    writeFileSync(path.join(BENCH_DIR, 'results.json'), `${JSON.stringify(doc, null, 2)}\n`);
    const changes = readFileSync(path.join(BENCH_DIR, 'performance-changes.md'), 'utf8');
    writeFileSync(path.join(REPO_ROOT, 'BENCHMARKS.md'), renderMarkdown(doc, changes));
  };

  try {
    for (const scenario of selected) {
      results.push(await runScenario(scenario, ctx));
      write();
    }
  } finally {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (stack) await stack.stop();
  }
  write();
  log(options.outputs ? 'wrote BENCHMARKS.md and bench/results.json' : `${options.mode} or partial run: figures in ${path.relative(REPO_ROOT, options.outDir) || options.outDir}/`);
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length) log(`failed scenarios: ${failed.map((f) => f.id).join(', ')}`);
  return failed.length ? 1 : 0;
}

if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2), DATA_DIR);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
if (options.renderOnly) {
  const results = JSON.parse(readFileSync(path.join(BENCH_DIR, 'results.json'), 'utf8')) as BenchResults;
  writeFileSync(path.join(REPO_ROOT, 'BENCHMARKS.md'), renderMarkdown(results, readFileSync(path.join(BENCH_DIR, 'performance-changes.md'), 'utf8')));
  log('rewrote BENCHMARKS.md from bench/results.json');
  process.exit(0);
}
main(options).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
