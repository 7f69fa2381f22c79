// page functions run in the browser: their bodies are typed against the DOM
/// <reference lib="dom" />
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { GeneratedFile } from '@trailscope/fixtures';
import { ACCOUNT_A, ACCOUNT_B, ORG_ACCOUNT, seedStore, standardTrail, type SeededStore } from '../query/support/seed';
import { startTestApi, type TestApi } from '../api/support/api-server';
import { REPO_ROOT, cliEnv, runCli, waitFor } from '../support/env';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, '.trailscope', 'test-artifacts', 'console');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const XSS_AGENT = '<img src=x onerror="alert(1);fetch(\'http://198.51.100.9/ua\')">';
const XSS_PARAM = '<script>alert(2);fetch("http://198.51.100.9/param")</script>';

/** A log file of `records` delivered in the account and region on the day. */
function logFile(account: string, region: string, day: string, name: string, records: Array<Record<string, unknown>>): GeneratedFile {
  const raws = records.map((r) => JSON.stringify(r));
  return {
    key: `AWSLogs/${account}/CloudTrail/${region}/${day.replace(/-/g, '/')}/${account}_CloudTrail_${region}_${day.replace(/-/g, '')}T2355Z_${name}.json.gz`,
    body: gzipSync(Buffer.from(`{"Records":[${raws.join(',')}]}`)),
    account,
    region,
    deliveryDate: day,
    records,
    rawRecords: raws,
  };
}

/**
 * A burst of user creations (a write management API the generated trail never calls) in one account and region:
 * 120 calls in 10 minutes, an ApiCallRateInsight once `insights run` looks at the day.
 */
function burstFile(): { file: GeneratedFile; startMs: number; minutes: number; calls: number } {
  const startMs = Date.parse('2026-03-02T09:00:00Z');
  const minutes = 10;
  const calls = 120;
  const records = Array.from({ length: calls }, (_, i) => ({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDABURST', arn: `arn:aws:iam::${ORG_ACCOUNT}:user/burst`, accountId: ORG_ACCOUNT, userName: 'burst' },
    eventTime: new Date(startMs + Math.floor((i * minutes * 60_000) / calls)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateUser',
    awsRegion: 'ap-southeast-2',
    sourceIPAddress: '203.0.113.77',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: { userName: `burst-${i}` },
    responseElements: null,
    requestID: `BURSTREQ${String(i).padStart(4, '0')}`,
    eventID: `0b0b0b0b-2222-4333-8444-${String(i).padStart(12, '0')}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ORG_ACCOUNT,
    eventCategory: 'Management',
  }));
  return { file: logFile(ORG_ACCOUNT, 'ap-southeast-2', '2026-03-02', 'burst', records), startMs, minutes, calls };
}

/** A log file of one event whose user agent and request parameters carry markup and script. */
function hostileFile(): GeneratedFile {
  const record = {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAXSS', arn: `arn:aws:iam::${ACCOUNT_A}:user/mallory`, accountId: ACCOUNT_A, userName: 'mallory' },
    eventTime: '2026-03-02T12:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetBucketPolicy',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.66',
    userAgent: XSS_AGENT,
    requestParameters: { bucketName: XSS_PARAM, note: '</pre><img src=x onerror=alert(3)>' },
    responseElements: null,
    requestID: 'XSSREQ0001',
    eventID: '0e0e0e0e-1111-4222-8333-444444444444',
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT_A,
    eventCategory: 'Management',
  };
  const raw = JSON.stringify(record);
  return {
    key: `AWSLogs/${ACCOUNT_A}/CloudTrail/us-east-1/2026/03/02/${ACCOUNT_A}_CloudTrail_us-east-1_20260302T1205Z_hostile.json.gz`,
    body: gzipSync(Buffer.from(`{"Records":[${raw}]}`)),
    account: ACCOUNT_A,
    region: 'us-east-1',
    deliveryDate: '2026-03-02',
    records: [record],
    rawRecords: [raw],
  };
}

describe('web console (real browser)', () => {
  let store: SeededStore;
  let api: TestApi;
  let browser: Browser;
  let admin: { id: string; secret: string };
  let scoped: { id: string; secret: string };
  const env = () => cliEnv(store.ns);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`web console tests need Debian's chromium at ${CHROMIUM}: apt-get install -y --no-install-recommends chromium (.ci/run installs it)`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    store = await seedStore('t-console', standardTrail(43));
    await store.add([hostileFile()]);
    api = await startTestApi(store);
    admin = await api.keys.create({ name: 'analyst' });
    scoped = await api.keys.create({ name: 'team-a', accounts: [ACCOUNT_A] });
    // playwright adds a fresh temporary user-data-dir per launch
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await store?.close();
  });

  interface Watched {
    context: BrowserContext;
    page: Page;
    dialogs: string[];
    foreignRequests: string[];
  }

  async function signedIn(key: { id: string; secret: string }): Promise<Watched> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const dialogs: string[] = [];
    const foreignRequests: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(api.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreignRequests.push(r.url());
    });
    await page.goto(`${api.url}/`);
    await page.fill('input[name=keyId]', key.id);
    await page.fill('input[name=secret]', key.secret);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=scope]');
    return { context, page, dialogs, foreignRequests };
  }

  /** Waits until the first page of the search the URL holds answered (a total or an error). */
  async function settled(page: Page): Promise<void> {
    await page.waitForFunction(() => {
      const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
      for (const own of ['columns', 'stackBy']) q.delete(own);
      const t = document.querySelector('[data-testid=total]')?.textContent ?? 'Searching';
      return document.querySelector('section.results')?.getAttribute('data-query') === q.toString() && !t.startsWith('Searching');
    });
  }

  /** Scrolls the table to its end (every page through the cursor) and returns the row ids in order. */
  async function allRows(page: Page): Promise<string[]> {
    await settled(page);
    for (;;) {
      await page.waitForFunction(() => !document.querySelector('.sentinel')?.textContent);
      const more = await page.$('[data-testid=more]');
      if (!more) break;
      const before = await page.$$eval('tr[data-event-id]', (rows) => rows.length);
      await more.scrollIntoViewIfNeeded();
      await page.waitForFunction((n) => document.querySelectorAll('tr[data-event-id]').length > n || !!document.querySelector('[data-testid=error]'), before);
    }
    return page.$$eval('tr[data-event-id]', (rows) => rows.map((r) => r.getAttribute('data-event-id') ?? ''));
  }

  async function totalOf(page: Page): Promise<number> {
    const text = (await page.textContent('[data-testid=total]')) ?? '';
    const m = /^([\d,]+) events/.exec(text);
    if (!m) throw new Error(`no total in "${text}"`);
    return Number(m[1]!.replace(/,/g, ''));
  }

  async function histogramSum(page: Page): Promise<number> {
    await page.waitForFunction(() => !/counting/.test(document.querySelector('[data-testid=histogram] figcaption')?.textContent ?? 'counting'));
    return page.$$eval('[data-testid=histogram] rect.bar', (bars) => bars.reduce((s, b) => s + Number(b.getAttribute('data-count')), 0));
  }

  async function cliIds(args: string[]): Promise<string[]> {
    const res = await runCli(['search', ...args, '--limit', '100000', '--json'], { env: env() });
    expect(res.code).toBe(0);
    return res.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: string }).id);
  }

  it('serves the console with a strict CSP and cache headers', async () => {
    const index = await fetch(`${api.url}/`);
    expect(index.status).toBe(200);
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    // no inline script: every script is a file under /assets/
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${api.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${api.url}/assets/nope.js`)).status).toBe(404);
  });

  it('signs in, filters by account and event name like trailscope search, opens an event, follows a pivot', async () => {
    const w = await signedIn(admin);
    const { page } = w;
    expect(await page.textContent('[data-testid=scope]')).toContain('all accounts and regions');
    // the key is kept in the tab's session storage, never in the URL
    expect(page.url()).not.toContain(admin.secret);
    const stored = await page.evaluate(() => sessionStorage.getItem('trailscope.apiKey'));
    expect(stored).toContain(admin.id);

    const name = store.events.find((e) => e.record.recipientAccountId === ACCOUNT_B)!.record.eventName as string;
    await page.selectOption('select[name=filterField]', 'accounts');
    await page.fill('input[name=filterValue]', ACCOUNT_B);
    await page.click('text=Add filter');
    await page.waitForSelector('.chip[data-param=accounts]');
    await page.selectOption('select[name=filterField]', 'eventNames');
    await page.fill('input[name=filterValue]', name);
    await page.click('text=Add filter');
    await page.waitForSelector('.chip[data-param=eventNames]');
    expect(decodeURIComponent(page.url())).toContain(`accounts=${ACCOUNT_B}`);
    expect(decodeURIComponent(page.url())).toContain(`eventNames=${name}`);

    const rows = await allRows(page);
    const want = await cliIds(['--account', ACCOUNT_B, '--event-name', name]);
    expect(want.length).toBeGreaterThan(0);
    expect(rows).toEqual(want);
    expect(await totalOf(page)).toBe(want.length);
    expect(await histogramSum(page)).toBe(want.length);
    await page.screenshot({ path: path.join(ARTIFACTS, 'event-history.png') });

    // the same URL in a fresh tab reproduces the view once signed in there (the key is per tab)
    const again = await w.context.newPage();
    await again.goto(page.url());
    await again.fill('input[name=keyId]', `${admin.id}.${admin.secret}`);
    await again.click('button[type=submit]');
    await again.waitForSelector('[data-testid=scope]');
    expect(await allRows(again)).toEqual(want);
    await again.close();

    await page.click(`tr[data-event-id="${want[0]}"]`);
    await page.waitForSelector('[data-testid=raw]');
    const raw = await runCli(['get', want[0]!, '--raw'], { env: env() });
    expect(raw.code).toBe(0);
    expect(JSON.parse((await page.textContent('[data-testid=raw]')) ?? '')).toEqual(JSON.parse(raw.stdout));
    await page.screenshot({ path: path.join(ARTIFACTS, 'event-detail.png'), fullPage: true });

    const download = page.waitForEvent('download');
    await page.click('text=Download JSON');
    const file = await (await download).path();
    expect(readFileSync(file, 'utf8')).toBe(raw.stdout.replace(/\n$/, ''));

    const event = JSON.parse(raw.stdout) as { userIdentity: { arn: string } };
    await page.click('a.pivot:text("Same principal")');
    await page.waitForSelector('.chip[data-param=users]');
    const pivoted = await allRows(page);
    expect(pivoted).toEqual(await cliIds(['--user', event.userIdentity.arn]));
    expect(pivoted).toContain(want[0]);
    await w.context.close();
  });

  /** Clicks a download button and returns the file the browser saved, once the console reports it done. */
  async function downloaded(page: Page, button: string): Promise<string> {
    const download = page.waitForEvent('download');
    await page.click(`text=${button}`);
    const file = readFileSync(await (await download).path(), 'utf8');
    await page.waitForSelector('[data-testid=download-status][data-busy=false]');
    return file;
  }

  it('downloads the current query as CSV and NDJSON through the export path, equal to trailscope export', async () => {
    const w = await signedIn(admin);
    const { page } = w;
    const exportRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/export')) exportRequests.push(r.url());
    });
    await page.goto(`${api.url}/#/events?regions=eu-west-1&errorsOnly=true`);
    const rows = await allRows(page);
    expect(rows).toEqual(await cliIds(['--region', 'eu-west-1', '--errors-only']));
    expect(rows.length).toBeGreaterThan(1);

    const csv = await downloaded(page, 'Download CSV');
    const cliCsv = await runCli(['export', '--region', 'eu-west-1', '--errors-only', '--format', 'csv'], { env: env() });
    expect(cliCsv.code).toBe(0);
    expect(csv).toBe(cliCsv.stdout);
    const lines = csv.split(/\r?\n/).filter(Boolean);
    expect(lines[0]).toMatch(/^Event time,User name,Event name,/);
    const idColumn = lines[0]!.split(',').indexOf('Event ID');
    // the export is oldest first, the table newest first: the same events
    expect(lines.slice(1).map((l) => l.split(',')[idColumn]).sort()).toEqual([...rows].sort());

    const ndjson = await downloaded(page, 'Download NDJSON');
    const cliNdjson = await runCli(['export', '--region', 'eu-west-1', '--errors-only', '--format', 'ndjson'], { env: env() });
    expect(cliNdjson.code).toBe(0);
    expect(ndjson).toBe(cliNdjson.stdout);
    expect(ndjson.split('\n').filter(Boolean)).toHaveLength(rows.length);
    // both through GET /v1/export with the query's filters, the key in a header only
    expect(exportRequests).toHaveLength(2);
    for (const u of exportRequests) {
      expect(new URL(u).searchParams.get('regions')).toBe('eu-west-1');
      expect(u).not.toContain(admin.secret);
    }
    await w.context.close();
  });

  it('a failed export saves no file and says why', async () => {
    const w = await signedIn(admin);
    const { page } = w;
    // a free-form path the search refuses: the export answers 400 before its first byte
    await page.goto(`${api.url}/#/events?field=${encodeURIComponent('no.such.root=x')}`);
    await settled(page);
    let saved = 0;
    page.on('download', () => (saved += 1));
    await page.click('text=Download CSV');
    await page.waitForSelector('[data-testid=download-status][data-busy=false]');
    expect(await page.textContent('[data-testid=download-status]')).toMatch(/^Download failed: .*no\.such\.root/);
    expect(saved).toBe(0);
    await w.context.close();
  });

  it('chooses the table columns; the choice is kept in the URL and as the browser default', async () => {
    const w = await signedIn(admin);
    const { page } = w;
    await page.goto(`${api.url}/#/events?accounts=${ACCOUNT_A}&regions=us-east-1`);
    await settled(page);
    const headers = () => page.$$eval('table[data-testid=events] th', (ths) => ths.map((t) => t.getAttribute('data-column')));
    expect(await headers()).toEqual(['eventTime', 'eventName', 'eventSource', 'account', 'region', 'principal', 'sourceIPAddress', 'errorCode']);
    await page.click('[data-testid=column-chooser] summary');
    await page.uncheck('input[name=column-eventSource]');
    await page.waitForFunction(() => !document.querySelector('th[data-column=eventSource]'));
    await page.check('input[name=column-userAgent]');
    await page.waitForSelector('th[data-column=userAgent]');
    await page.check('input[name=column-eventId]');
    await page.waitForSelector('th[data-column=eventId]');
    const chosen = ['eventTime', 'eventName', 'account', 'region', 'principal', 'sourceIPAddress', 'userAgent', 'errorCode', 'eventId'];
    expect(await headers()).toEqual(chosen);
    expect(new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('columns')).toBe(chosen.join(','));

    // the cells hold what trailscope search says of each row's event
    const rows = await allRows(page);
    const cli = await runCli(['search', '--account', ACCOUNT_A, '--region', 'us-east-1', '--limit', '100000', '--json'], { env: env() });
    const events = cli.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; eventID?: string; userAgent?: string });
    expect(rows).toEqual(events.map((e) => e.id));
    const cells = await page.$$eval('tr[data-event-id]', (trs) =>
      trs.map((tr) => [tr.querySelector('td[data-column=userAgent]')?.textContent ?? null, tr.querySelector('td[data-column=eventId]')?.textContent ?? null]),
    );
    expect(cells).toEqual(events.map((e) => [e.userAgent ?? '', e.eventID ?? e.id]));

    // a view without columns in its URL (same browser): the last choice; a link with columns: those
    await page.goto(`${api.url}/#/events?regions=eu-west-1`);
    await settled(page);
    expect(await headers()).toEqual(chosen);
    await page.goto(`${api.url}/#/events?regions=eu-west-1&columns=eventName,account`);
    await page.waitForFunction(() => document.querySelectorAll('th[data-column]').length === 2);
    await settled(page);
    expect(await headers()).toEqual(['eventName', 'account']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'column-chooser.png') });
    await w.context.close();
  });

  it('stacks the histogram by a chosen field: each value’s bars add up to its count, the rest to the others', async () => {
    const w = await signedIn(admin);
    const { page } = w;
    await page.goto(`${api.url}/#/events?regions=us-east-1`);
    await settled(page);
    await page.selectOption('select[name=stackBy]', 'eventName');
    await page.waitForSelector('[data-testid=legend]');
    expect(new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('stackBy')).toBe('eventName');
    await histogramSum(page);

    const agg = await runCli(['search', '--region', 'us-east-1', '--agg', 'eventName', '--top', '5', '--json'], { env: env() });
    expect(agg.code).toBe(0);
    const top = JSON.parse(agg.stdout) as { total: number; buckets: Array<{ key: string; count: number }>; otherCount: number };
    expect(top.otherCount).toBeGreaterThan(0);
    const legend = await page.$$eval('[data-testid=legend] li[data-series]', (lis) => lis.map((l) => l.getAttribute('data-series')));
    expect(legend).toEqual(top.buckets.map((b) => b.key));
    const segments = await page.$$eval('[data-testid=histogram] rect.seg', (rects) =>
      rects.map((r) => ({ key: r.getAttribute('data-key'), series: r.getAttribute('data-series'), rest: r.getAttribute('data-rest') === 'true', count: Number(r.getAttribute('data-count')) })),
    );
    const sumOf = (pred: (s: (typeof segments)[number]) => boolean) => segments.filter(pred).reduce((n, s) => n + s.count, 0);
    for (const b of top.buckets) expect({ value: b.key, count: sumOf((s) => s.series === b.key) }).toEqual({ value: b.key, count: b.count });
    expect(sumOf((s) => s.rest)).toBe(top.otherCount);
    // every bar is exactly its segments
    const bars = await page.$$eval('[data-testid=histogram] rect.bar', (rects) => rects.map((r) => ({ key: r.getAttribute('data-key'), count: Number(r.getAttribute('data-count')) })));
    for (const bar of bars) expect({ key: bar.key, count: sumOf((s) => s.key === bar.key) }).toEqual({ key: bar.key, count: bar.count });
    expect(bars.reduce((n, b) => n + b.count, 0)).toBe(top.total);
    // stacking changes no row: the table is the same search
    expect(await totalOf(page)).toBe(top.total);
    await page.screenshot({ path: path.join(ARTIFACTS, 'histogram-stacked.png') });
    await w.context.close();
  });

  it('a key scoped to one account never shows another account’s event, count or bar', async () => {
    const w = await signedIn(scoped);
    const { page } = w;
    expect(await page.textContent('[data-testid=scope]')).toContain(`accounts ${ACCOUNT_A}`);
    await page.goto(`${api.url}/#/events?regions=us-east-1`);
    const rows = await allRows(page);
    const want = store.want((e) => e.record.recipientAccountId === ACCOUNT_A && e.record.awsRegion === 'us-east-1');
    expect([...rows].sort()).toEqual(want);
    expect(await totalOf(page)).toBe(want.length);
    expect(await histogramSum(page)).toBe(want.length);
    const accounts = await page.$$eval('tr[data-event-id] td:nth-child(4)', (tds) => [...new Set(tds.map((t) => t.textContent))]);
    expect(accounts).toEqual([ACCOUNT_A]);

    // asking for the other account directly shows nothing of it
    await page.goto(`${api.url}/#/events?accounts=${ACCOUNT_B}`);
    await settled(page);
    await page.waitForFunction(
      () => !!document.querySelector('.histogram-error') || !/counting/.test(document.querySelector('[data-testid=histogram] figcaption')?.textContent ?? 'counting'),
    );
    expect(await page.$$('tr[data-event-id]')).toHaveLength(0);
    expect(await page.$$eval('[data-testid=histogram] rect.bar', (bars) => bars.filter((b) => Number(b.getAttribute('data-count')) > 0).length)).toBe(0);

    // stacked by account, the only value is the key's own account
    await page.goto(`${api.url}/#/events?stackBy=account`);
    await page.waitForSelector('[data-testid=legend]');
    expect(await page.$$eval('[data-testid=legend] li[data-series]', (lis) => lis.map((l) => l.getAttribute('data-series')))).toEqual([ACCOUNT_A]);
    expect(await page.$$('[data-testid=histogram] rect.seg[data-rest]')).toHaveLength(0);

    // an event of the other account by id is not found
    const other = store.events.find((e) => e.record.recipientAccountId === ACCOUNT_B)!;
    await page.goto(`${api.url}/#/event/${other.id}`);
    await page.waitForSelector('.error');
    expect(await page.$('[data-testid=raw]')).toBeNull();
    await w.context.close();
  });

  it('renders markup in a user agent and request parameters as text: no dialog, no request elsewhere', async () => {
    const w = await signedIn(admin);
    const { page } = w;
    await page.goto(`${api.url}/#/events?users=mallory`);
    const rows = await allRows(page);
    expect(rows).toEqual(['0e0e0e0e-1111-4222-8333-444444444444']);
    await page.click(`tr[data-event-id="${rows[0]}"]`);
    await page.waitForSelector('[data-testid=raw]');
    expect(await page.textContent('dd[data-field="User agent"]')).toBe(XSS_AGENT);
    const raw = (await page.textContent('[data-testid=raw]')) ?? '';
    expect(raw).toContain(XSS_PARAM.replace(/"/g, '\\"'));
    // none of the markup became elements
    expect(await page.$$('main img, main script, main pre img')).toHaveLength(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hostile-event.png'), fullPage: true });
    expect(w.dialogs).toEqual([]);
    expect(w.foreignRequests).toEqual([]);
    await w.context.close();
  });

  it('lists findings (empty state) and signs out', async () => {
    const w = await signedIn(admin);
    const { page } = w;
    await page.click('text=Findings');
    await page.waitForSelector('[data-testid=findings-total]');
    expect(await page.textContent('[data-testid=findings-total]')).toBe('0 findings');
    await page.screenshot({ path: path.join(ARTIFACTS, 'findings.png') });
    await page.click('text=Sign out');
    await page.waitForSelector('input[name=keyId]');
    expect(await page.evaluate(() => sessionStorage.getItem('trailscope.apiKey'))).toBeNull();
    await w.context.close();
  });

  it('acknowledges and closes real findings from the console; the API and the CLI show the new status', async () => {
    // findings recorded by a backtest of a rule over the stored events, with the ids live detection gives them
    const rulesDir = mkdtempSync(path.join(tmpdir(), 'ts-console-rules-'));
    let recordedCount = 0;
    try {
      writeFileSync(
        path.join(rulesDir, 'denied-calls.yml'),
        [
          'title: Console test denied call',
          'id: 3f1c6a2e-7b4d-4e8f-9a0b-1c2d3e4f5a6b',
          'status: test',
          'logsource: {product: aws, service: cloudtrail}',
          'detection:',
          '    denied: {errorCode: AccessDenied}',
          '    condition: denied',
          'level: high',
          '',
        ].join('\n'),
      );
      const recorded = await runCli(['rules', 'backtest', rulesDir, '--record', '--json'], { env: env() });
      expect(recorded.code).toBe(0);
      recordedCount = (JSON.parse(recorded.stdout.trim().split('\n').pop() ?? '{}') as { summary: { recorded: number } }).summary.recorded;
      expect(recordedCount).toBeGreaterThan(1);
    } finally {
      rmSync(rulesDir, { recursive: true, force: true });
    }
    const listed = async () => {
      const res = await runCli(['findings', '--limit', '1000', '--json'], { env: env() });
      expect(res.code).toBe(0);
      return res.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string; status: string; statusBy?: string; ruleTitle: string });
    };
    // the findings index shows new writes at its next refresh (within a second)
    let before: Awaited<ReturnType<typeof listed>> = [];
    await waitFor(async () => (before = await listed()).length === recordedCount, { timeoutMs: 30000, intervalMs: 500, what: 'the recorded findings listed' });
    expect(before.every((f) => f.status === 'open')).toBe(true);

    const w = await signedIn(admin);
    const { page } = w;
    await page.click('text=Findings');
    await page.waitForSelector('[data-testid=findings]');
    expect(await page.textContent('[data-testid=findings-total]')).toBe(`${before.length} findings`);
    expect(await page.$$eval('tr[data-finding-id]', (trs) => trs.map((t) => t.getAttribute('data-finding-id')))).toEqual(before.map((f) => f.id));
    const [acked, closed] = [before[0]!.id, before[1]!.id];
    await page.click(`tr[data-finding-id="${acked}"] button:text("Acknowledge")`);
    await page.waitForFunction((id) => document.querySelector(`tr[data-finding-id="${id}"] .status-cell`)?.textContent === 'acknowledged', acked);
    await page.click(`tr[data-finding-id="${closed}"] button:text("Close")`);
    await page.waitForFunction((id) => document.querySelector(`tr[data-finding-id="${id}"] .status-cell`)?.textContent === 'closed', closed);
    // a closed finding offers nothing more; an acknowledged one can still be closed
    expect(await page.$$(`tr[data-finding-id="${closed}"] button`)).toHaveLength(0);
    expect(await page.$$eval(`tr[data-finding-id="${acked}"] button`, (bs) => bs.map((b) => b.textContent))).toEqual(['Close']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'findings-status.png') });
    await w.context.close();

    const by = `analyst (key ${admin.id})`;
    for (const [id, status] of [
      [acked, 'acknowledged'],
      [closed, 'closed'],
    ] as const) {
      const res = await fetch(`${api.url}/v1/findings/${id}`, { headers: { authorization: `Bearer ${admin.id}.${admin.secret}` } });
      expect(res.status).toBe(200);
      const { finding } = (await res.json()) as { finding: { status: string; statusBy?: string; statusAt?: string } };
      expect({ status: finding.status, statusBy: finding.statusBy, at: typeof finding.statusAt }).toEqual({ status, statusBy: by, at: 'string' });
    }
    const after = await listed();
    expect(after.filter((f) => f.status !== 'open').map((f) => [f.id, f.status]).sort()).toEqual(
      [
        [acked, 'acknowledged'],
        [closed, 'closed'],
      ].sort(),
    );
    expect(after).toHaveLength(before.length);
  });

  it('shows Insights as a timeline per API with their baseline and insight rates, as trailscope computed them', async () => {
    const burst = burstFile();
    await store.add([burst.file]);
    const run = await runCli(['insights', 'run', '--from', '2026-03-02', '--to', '2026-03-02', '--account', ORG_ACCOUNT, '--region', 'ap-southeast-2', '--json'], {
      env: { ...env(), TRAILSCOPE_INSIGHTS_BASELINE_DAYS: '1' },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}')).toMatchObject({ starts: 1, ends: 1, created: 2 });
    const cli = await runCli(['search', '--event-category', 'Insight', '--limit', '1000', '--json'], { env: env() });
    expect(cli.code).toBe(0);
    interface Stored {
      id: string;
      eventTime: string;
      sharedEventID: string;
      insightDetails: { state: string; eventName: string; insightContext: { statistics: { baseline: { average: number }; insight: { average: number }; insightDuration: number } } };
    }
    const records = cli.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Stored);
    const start = records.find((r) => r.insightDetails.state === 'Start')!;
    const end = records.find((r) => r.insightDetails.state === 'End')!;
    expect(start.sharedEventID).toBe(end.sharedEventID);

    const w = await signedIn(admin);
    const { page } = w;
    await page.click('text=Insights');
    await page.waitForSelector('[data-testid=insights-total]');
    expect(await page.textContent('[data-testid=insights-total]')).toBe('1 insights in 1 APIs');
    const series = await page.$$eval('.insight-series', (els) => els.map((e) => JSON.parse(e.getAttribute('data-series') ?? '[]') as string[]));
    expect(series).toEqual([[ORG_ACCOUNT, 'ap-southeast-2', 'iam.amazonaws.com', 'CreateUser', 'ApiCallRateInsight', '']]);
    const row = await page.$eval('tr[data-insight-id]', (tr) => ({
      id: tr.getAttribute('data-insight-id'),
      baseline: Number(tr.getAttribute('data-baseline')),
      insight: Number(tr.getAttribute('data-insight')),
      cells: Array.from(tr.querySelectorAll('td'), (td) => td.textContent),
    }));
    const stats = end.insightDetails.insightContext.statistics;
    expect(row.id).toBe(start.sharedEventID);
    expect({ baseline: row.baseline, insight: row.insight }).toEqual({ baseline: stats.baseline.average, insight: stats.insight.average });
    expect(row.cells.slice(0, 3)).toEqual([start.eventTime, end.eventTime, String(stats.insightDuration)]);
    // the burst's own rate: 12 calls a minute over no baseline
    expect(Math.abs(row.insight - burst.calls / burst.minutes) / (burst.calls / burst.minutes)).toBeLessThan(0.2);
    expect(row.baseline).toBeLessThan(row.insight / 10);
    // drawn: an insight band and a baseline band over its minutes
    expect(await page.$$('.insight-series svg rect.insight-rate')).toHaveLength(1);
    expect(await page.$$('.insight-series svg rect.baseline-rate')).toHaveLength(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'insights.png'), fullPage: true });

    // its Start record opens as an event
    await page.click('tr[data-insight-id] a');
    await page.waitForSelector('[data-testid=raw]');
    expect(JSON.parse((await page.textContent('[data-testid=raw]')) ?? '')).toMatchObject({ eventCategory: 'Insight', sharedEventID: start.sharedEventID });
    await w.context.close();

    // a key limited to another account sees none of it
    const other = await signedIn(scoped);
    await other.page.click('text=Insights');
    await other.page.waitForSelector('[data-testid=insights-total]');
    expect(await other.page.textContent('[data-testid=insights-total]')).toBe('0 insights in 0 APIs');
    await other.context.close();
  });

  it('keeps the built bundle within 200 KB gzip', () => {
    const dir = path.join(REPO_ROOT, 'packages', 'console', 'dist', 'assets');
    const bytes = readdirSync(dir)
      .filter((n) => /\.(js|css)$/.test(n))
      .reduce((n, f) => n + gzipSync(readFileSync(path.join(dir, f))).length, 0);
    expect(bytes).toBeGreaterThan(1000);
    expect(bytes).toBeLessThanOrEqual(200 * 1024);
  });

  it('sends a revoked or wrong key back to sign-in with the reason', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${api.url}/`);
    await page.fill('input[name=keyId]', admin.id);
    await page.fill('input[name=secret]', 'wrong-secret');
    await page.click('button[type=submit]');
    await page.waitForSelector('.sign-in .error');
    expect(await page.textContent('.sign-in .error')).toMatch(/unknown, revoked or wrong API key/);
    await context.close();
  });

  it('uses the key a tab signed in with at once after a reload, and sends it back to sign-in once the key is revoked', async () => {
    const short = await api.keys.create({ name: 'short-lived' });
    const w = await signedIn(short);
    const { page } = w;
    await page.goto(`${api.url}/#/events?regions=us-east-1`);
    await settled(page);
    await page.reload();
    await page.waitForSelector('[data-testid=scope]');
    await settled(page);
    expect(await totalOf(page)).toBe((await cliIds(['--region', 'us-east-1'])).length);

    await api.keys.revoke(short.id);
    await page.reload();
    await page.waitForSelector('.sign-in .error');
    expect(await page.textContent('.sign-in .error')).toMatch(/unknown, revoked or wrong API key/);
    expect(await page.evaluate(() => sessionStorage.getItem('trailscope.apiKey'))).toBeNull();
    await w.context.close();
  });
});
