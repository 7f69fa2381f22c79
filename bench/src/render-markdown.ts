import type { BenchResults, ResultRow, ScenarioResult } from './bench-results';
import { fmtBytes, fmtInt, fmtRatio } from './format';

const metText = (met: boolean | null) => (met === null ? 'report' : met ? '**met**' : '**not met**');

function rowLine(r: ResultRow): string {
  const base = r.baseline ? `${r.baseline.text} (${r.baseline.what})` : '—';
  const ratio = r.ratio === undefined ? '—' : `${fmtRatio(r.ratio)}${r.ratioMeaning ? ` (${r.ratioMeaning})` : ''}`;
  return `| ${r.scenario} | ${r.name} | ${r.ours.text} | ${base} | ${ratio} | ${r.goal} | ${metText(r.met)} |`;
}

const TABLE_HEAD = '| scenario | measure | our figure | baseline, same run and data | ratio | goal | goal met |\n|---|---|---|---|---|---|---|';

function dataValue(v: number | string): string {
  return typeof v === 'number' ? fmtInt(v) : v;
}

function scenarioSection(s: ScenarioResult): string {
  const lines = [`### ${s.id}: ${s.title}`, ''];
  if (s.status === 'failed') lines.push(`**The scenario failed:** ${s.error ?? 'unknown error'}`, '');
  if (s.method.length) lines.push('What was measured on what:', '', ...s.method.map((m) => `- ${m}`), '');
  const data = Object.entries(s.data);
  if (data.length) {
    lines.push('| data | size |', '|---|---|', ...data.map(([k, v]) => `| ${k} | ${dataValue(v)} |`), '');
  }
  if (s.rows.length) lines.push(TABLE_HEAD, ...s.rows.map(rowLine), '');
  if (s.notes.length) lines.push(...s.notes.map((n) => `> ${n}`), '');
  lines.push(`Scenario wall time: ${s.durationSeconds.toFixed(1)} s.`, '');
  return lines.join('\n');
}

export function renderMarkdown(results: BenchResults, performanceChanges: string): string {
  const m = results.machine;
  const rows = results.scenarios.flatMap((s) => s.rows);
  const failed = results.scenarios.filter((s) => s.status === 'failed');
  const out = [
    '# trailscope benchmarks',
    '',
    `Written by \`npm run bench${results.mode === 'quick' ? ' -- --quick' : ''}\` (${results.mode} mode) on ${results.finishedAt}` +
      `${results.gitCommit ? ` at commit \`${results.gitCommit.slice(0, 12)}\`` : ''}. Every figure below comes from that one run` +
      ' and is never edited by hand; each baseline ran in the same run, on the same data and the same services, so the' +
      ' ratios hold even on a noisy shared machine. All figures, unrounded, are in `bench/results.json`.',
    '',
    '## Machine and services',
    '',
    '| fact | value |',
    '|---|---|',
    `| CPU | ${m.cpuModel}, ${m.cpuCount} logical CPUs (${m.availableParallelism} available to the bench) |`,
    `| memory | ${fmtBytes(m.memoryBytes)} |`,
    `| OS | ${m.os} |`,
    `| Node.js | ${m.node} |`,
    `| OpenSearch | ${m.opensearchVersion ?? 'unknown'}${m.opensearchNodes ? `, ${m.opensearchNodes} node(s)` : ''}${m.opensearchHeap ? `, heap ${m.opensearchHeap}` : ''} |`,
    `| Redis | ${m.redisVersion ?? 'unknown'} |`,
    `| S3 | ${m.s3 ?? 'unknown'} |`,
    `| stack | ${results.stack.source} |`,
    `| load average at start | ${m.loadAverageAtStart.join(', ')} |`,
    `| settings | ${Object.entries(results.settings).map(([k, v]) => `${k}=${String(v)}`).join(', ')} |`,
    '',
    'OpenSearch, Redis, S3 and the bench share the same CPUs: every throughput figure includes the cost of the services',
    'it drives, as on a single-host deployment.',
    '',
    '## Summary',
    '',
    TABLE_HEAD,
    ...rows.map(rowLine),
    '',
    failed.length ? `Failed scenarios: ${failed.map((s) => `${s.id} (${s.error ?? 'error'})`).join('; ')}.\n` : '',
    '## Scenarios',
    '',
    ...results.scenarios.map(scenarioSection),
    '## Changes made for performance and why',
    '',
    performanceChanges.trim(),
    '',
    '## Reproduce',
    '',
    '```sh',
    'npm ci',
    'npm run bench -- --quick   # under five minutes, smaller data',
    'npm run bench              # full: 1,000,000 events ingested and queried, 100,000 files discovered',
    'npm run bench -- --quick --profile   # CPU profiles of every process into bench/.data/profiles',
    '```',
    '',
    'Without OPENSEARCH_URL, REDIS_URL and S3_ENDPOINT in the environment the bench starts its own local stack in',
    '`bench/.data/stack` and stops it afterwards; generated data is cached under `bench/.data`.',
    '',
  ];
  return out.join('\n');
}
