// page functions run in the browser: their bodies are typed against the DOM
/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import pino from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { buildServer, createKeyStore } from '@trailscope/api';
import { createBulkWriter, installTemplates } from '@trailscope/indexer';
import { parseLogFile } from '@trailscope/parser';
import { createLogger, createOpenSearchClient, type Config } from '@trailscope/runtime';
import type { BenchContext, Scenario } from '../bench-context';
import { fmtInt, fmtNum, fmtRatio, round } from '../format';
import { percentile } from '../percentile';
import { dropNamespaceLater } from '../namespace-lifecycle';
import { datasetFiles, datasetOf, datasetTotals } from '../trail-dataset';
import type { IngestedNamespace } from './ingest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// the flags a headless Chromium needs on a machine without outside network (no background connections)
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Set by the console when the first rows of results are on screen (packages/console event-history FIRST_ROWS_MARK). */
const FIRST_ROWS_MARK = 'trailscope:first-rows';
const SERVER_KEY = 'bench-console-server-key-0123456789abcdef';
const WARMUP = 2;
const PAGE_SIZE = 100;

/**
 * The events a scenario reads through the API: the ingest scenario's namespace when it ran, else a namespace of the
 * scenario's own (`name`), bulk-indexed here.
 */
export async function eventsNamespace(ctx: BenchContext, name = 'console'): Promise<{ config: Config; events: number; source: string }> {
  const ingested = ctx.shared.get('ingested') as IngestedNamespace | undefined;
  if (ingested) return { config: ingested.config, events: ingested.events, source: `the ingest scenario's namespace ${ingested.namespace}` };
  const stack = await ctx.stack();
  const namespace = ctx.namespace(name);
  const config = stack.configFor(namespace);
  dropNamespaceLater(ctx, stack, namespace);
  const spec = datasetOf(name, 16, ctx.options.sizes.consoleEvents, 500);
  const client = createOpenSearchClient(config);
  try {
    await installTemplates(client, config);
    const writer = createBulkWriter({ client, config, logger: createLogger({ level: 'warn', name: `bench-${name}` }), uniqueIds: false });
    const ingestedAt = new Date().toISOString();
    ctx.log(`${name}: indexing ${fmtInt(datasetTotals(spec).events)} events (no ingest scenario in this run)`);
    for (const f of datasetFiles(spec)) {
      const source = { bucket: 'bench', key: f.key, etag: 'bench', kind: 'log' as const, account: f.account, region: f.region };
      for await (const item of parseLogFile(Readable.from([f.body]), source, { maxObjectBytes: 64 * 1024 * 1024, ingestedAt })) {
        if (item.ok) await writer.add(item.id, item.doc);
      }
    }
    await writer.flush();
    await client.indices.refresh({ index: config.names.eventIndexPattern });
  } finally {
    await client.close();
  }
  return { config, events: datasetTotals(spec).events, source: `a namespace of its own, bulk-indexed through the parser and bulk writer (${spec.accounts.length + spec.orgAccounts.length} accounts × ${spec.regions.length} regions × ${spec.days.length} days)` };
}

export const consoleScenario: Scenario = {
  id: 'console',
  title: 'web console: time to the first page of results in the browser',
  missing: () => (existsSync(CHROMIUM) ? undefined : `the console scenario needs Chromium at ${CHROMIUM} (apt-get install -y --no-install-recommends chromium, or set CHROMIUM_PATH)`),
  async run(ctx, out) {
    const lacking = consoleScenario.missing?.();
    if (lacking) throw new Error(lacking);
    const { config, events, source } = await eventsNamespace(ctx);
    const client = createOpenSearchClient(config);
    const keys = createKeyStore(client, config.names, SERVER_KEY);
    const app = buildServer({ client, names: config.names, keys, logger: pino({ level: 'silent' }), serverKey: SERVER_KEY });
    let browser: Browser | undefined;
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const key = await keys.create({ name: 'bench-console' });
      const bearer = `Bearer ${key.id}.${key.secret}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      const loads = ctx.options.sizes.consoleLoads;

      // a fresh context per load: nothing cached (the bundle, the connection), as a first visit of the console
      const phases: Array<Record<string, number>> = [];
      const consoleLoad = async (): Promise<number> => {
        const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
        try {
          // signed in as the sign-in form leaves the tab (the key in session storage), before the first script runs
          await context.addInitScript((creds: string) => sessionStorage.setItem('trailscope.apiKey', creds), JSON.stringify({ keyId: key.id, secret: key.secret }));
          const page = await context.newPage();
          await page.goto(`${url}/#/events`);
          await page.waitForSelector('tr[data-event-id]', { timeout: 120_000 });
          const rows = await page.$$eval('tr[data-event-id]', (trs) => trs.length);
          if (rows !== PAGE_SIZE) throw new Error(`the console showed ${rows} rows on its first page, expected ${PAGE_SIZE}`);
          // milliseconds from the start of the navigation (the performance API's time origin) to the mark
          const ms = await page.evaluate((name) => performance.getEntriesByName(name)[0]?.startTime ?? Number.NaN, FIRST_ROWS_MARK);
          if (!Number.isFinite(ms)) throw new Error(`the console set no ${FIRST_ROWS_MARK} performance mark`);
          // where the time went, from the same performance timeline: the page, the bundle, the session call, the first page
          phases.push(
            await page.evaluate(() => {
              const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
              const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
              const end = (pred: (u: string) => boolean) => res.find((r) => pred(new URL(r.name).pathname + new URL(r.name).search))?.responseEnd ?? Number.NaN;
              return {
                indexHtml: nav?.responseEnd ?? Number.NaN,
                bundle: end((u) => u.startsWith('/assets/') && u.endsWith('.js')),
                session: end((u) => u === '/v1/session'),
                firstPage: end((u) => u.startsWith('/v1/events?') && u.includes('pageSize=100')),
              };
            }),
          );
          return ms;
        } finally {
          await context.close();
        }
      };
      // the baseline: the same first-page request the console makes, alone, from this process
      const requestAlone = async (): Promise<number> => {
        const t0 = performance.now();
        const res = await fetch(`${url}/v1/events?pageSize=${PAGE_SIZE}`, { headers: { authorization: bearer, accept: 'application/json' } });
        const body = (await res.json()) as { events?: unknown[] };
        const ms = performance.now() - t0;
        if (!res.ok || body.events?.length !== PAGE_SIZE) throw new Error(`GET /v1/events answered ${res.status} with ${body.events?.length ?? 0} events`);
        return ms;
      };

      for (let i = 0; i < WARMUP; i += 1) {
        await requestAlone();
        await consoleLoad();
      }
      const oursMs: number[] = [];
      const baseMs: number[] = [];
      // back to back, so that both see the same load on the machine
      for (let i = 0; i < loads; i += 1) {
        baseMs.push(await requestAlone());
        oursMs.push(await consoleLoad());
      }
      const p = (s: number[], q: number) => percentile(s, q);
      const ratio = p(oursMs, 95) / p(baseMs, 95);
      out.data = { 'events in the index': events, 'timed loads': loads, 'warm-up loads': WARMUP, 'rows on the first page': PAGE_SIZE };
      out.method.push(
        `The console served by the real API server (in the bench process) over ${source}; Debian's Chromium driven by playwright-core, headless, a new browser context per load (no cache, no open connection), signed in through session storage as the sign-in form leaves it.`,
        `Ours: from the start of the navigation to \`${url.replace(/:\d+$/, ':PORT')}/#/events\` (all time, newest first) to the moment the console renders its first ${PAGE_SIZE} rows, read from the page's performance API (a mark the console sets; the time origin is the navigation start). It includes loading index.html and the bundle, the session call, and the first /v1/events page, while the histogram's requests run beside it.`,
        `Baseline: the same first-page request (\`GET /v1/events?pageSize=${PAGE_SIZE}\` with the key), alone, from the bench process, to its parsed JSON. One baseline and one console load back to back, ${loads} times after ${WARMUP} warm-ups of each.`,
      );
      const phaseMedian = (k: string) => round(percentile(phases.slice(-loads).map((x) => x[k] ?? Number.NaN), 50));
      out.figures = {
        phasesMedianMs: { indexHtml: phaseMedian('indexHtml'), bundle: phaseMedian('bundle'), session: phaseMedian('session'), firstPageResponse: phaseMedian('firstPage') },
        consoleFirstRows: { p50Ms: round(p(oursMs, 50)), p95Ms: round(p(oursMs, 95)), maxMs: round(Math.max(...oursMs)), samplesMs: oursMs.map((x) => round(x, 2)) },
        requestAlone: { p50Ms: round(p(baseMs, 50)), p95Ms: round(p(baseMs, 95)), maxMs: round(Math.max(...baseMs)), samplesMs: baseMs.map((x) => round(x, 2)) },
      };
      out.notes.push(
        `Median milliseconds from the navigation start (timed loads): index.html received ${fmtNum(phaseMedian('indexHtml'))}, bundle received ${fmtNum(phaseMedian('bundle'))}, /v1/session answered ${fmtNum(phaseMedian('session'))}, first /v1/events page answered ${fmtNum(phaseMedian('firstPage'))}, rows shown ${fmtNum(p(oursMs, 50))}.`,
      );
      out.rows.push({
        scenario: 'console',
        name: `time to the first page of results in the browser (console load to ${PAGE_SIZE} rows shown) over ${fmtInt(events)} events`,
        ours: { value: p(oursMs, 95), unit: 'ms', text: `p50 ${fmtNum(p(oursMs, 50))} ms, p95 ${fmtNum(p(oursMs, 95))} ms` },
        baseline: { value: p(baseMs, 95), unit: 'ms', text: `p50 ${fmtNum(p(baseMs, 50))} ms, p95 ${fmtNum(p(baseMs, 95))} ms`, what: `the same GET /v1/events first page alone` },
        ratio,
        ratioMeaning: 'ours ÷ baseline p95 (how much the console adds to the request itself)',
        goal: `reported (p95 ${fmtRatio(ratio)}× the request alone)`,
        met: null,
      });
    } finally {
      await browser?.close();
      await app.close();
      await client.close();
    }
  },
};
