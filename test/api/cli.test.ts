import { spawn, type ChildProcess } from 'node:child_process';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CLI_BIN, REPO_ROOT, cliEnv, runCli, waitFor } from '../support/env';
import { ACCOUNT_A, ACCOUNT_B, seedStore, standardTrail, type SeededStore } from '../query/support/seed';
import { SERVER_KEY } from './support/api-server';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('trailscope search, get, keys and serve', () => {
  let store: SeededStore;
  // more events than one page of 1000, so --limit has to follow cursors
  const trail = standardTrail(61, { eventsPerFile: 40 });
  const env = (extra: Record<string, string | undefined> = {}) => ({ TRAILSCOPE_NAMESPACE: store.ns, TRAILSCOPE_SERVER_KEY: undefined, ...extra });

  beforeAll(async () => {
    store = await seedStore('t-cli', trail);
  });
  afterAll(async () => {
    await store?.close();
  });

  describe('search', () => {
    it('prints one event per line with --json, following cursors up to --limit', async () => {
      expect(store.events.length).toBeGreaterThan(1200);
      const res = await runCli(['search', '--limit', '1200', '--json'], { env: env() });
      expect([res.code, res.stderr]).toEqual([0, '']);
      const events = lines(res.stdout).map((l) => JSON.parse(l) as { id: string; eventTime: string });
      expect(events).toHaveLength(1200);
      expect(new Set(events.map((e) => e.id)).size).toBe(1200);
      const times = events.map((e) => Date.parse(e.eventTime));
      expect([...times].sort((a, b) => b - a)).toEqual(times);

      const all = await runCli(['search', '--limit', '100000', '--json'], { env: env() });
      expect(lines(all.stdout).map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(store.want(() => true));
    });

    it('combines the contract flags: OR within a repeated flag, AND across flags', async () => {
      const res = await runCli(
        ['search', '--account', ACCOUNT_A, '--account', ACCOUNT_B, '--region', 'us-east-1', '--errors-only', '--read-only', 'false', '--limit', '5000', '--json'],
        { env: env() },
      );
      expect(res.code).toBe(0);
      const want = store.want(
        (e) => [ACCOUNT_A, ACCOUNT_B].includes(e.record.recipientAccountId) && e.record.awsRegion === 'us-east-1' && e.record.errorCode !== undefined && e.record.readOnly === false,
      );
      expect(want.length).toBeGreaterThan(0);
      expect(lines(res.stdout).map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(want);

      // one list syntax for every command: a comma-separated value is the same OR-list
      const commas = await runCli(
        ['search', '--account', `${ACCOUNT_A},${ACCOUNT_B}`, '--region', 'us-east-1', '--errors-only', '--read-only', 'false', '--limit', '5000', '--json'],
        { env: env() },
      );
      expect([commas.code, commas.stderr]).toEqual([0, '']);
      expect(lines(commas.stdout).map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(want);
    });

    it('prints {"count": N} with --count --json, and a plain number without --json', async () => {
      const want = store.want((e) => e.record.eventSource === 's3.amazonaws.com' && e.record.requestParameters?.bucketName === 'logs-1').length;
      const args = ['search', '--event-source', 's3.amazonaws.com', '--field', 'requestParameters.bucketName=logs-1', '--count'];
      const json = await runCli([...args, '--json'], { env: env() });
      expect([json.code, JSON.parse(json.stdout)]).toEqual([0, { count: want }]);
      const plain = await runCli(args, { env: env() });
      expect(plain.stdout).toBe(`${want}\n`);
    });

    it('prints a table by default', async () => {
      const res = await runCli(['search', '--user', 'alice', '--limit', '3'], { env: env() });
      expect(res.code).toBe(0);
      const [header, ...rows] = lines(res.stdout);
      expect(header).toMatch(/^eventTime\s+account\s+region\s+source\s+eventName\s+principal/);
      expect(rows).toHaveLength(3);
      expect(res.stderr).toMatch(/matching event/);
    });

    it('prints raw records as delivered with --raw', async () => {
      const res = await runCli(['search', '--event-name', 'ConsoleLogin', '--limit', '5000', '--raw'], { env: env() });
      expect(res.code).toBe(0);
      const want = store.events.filter((e) => e.record.eventName === 'ConsoleLogin').map((e) => e.raw).sort();
      expect(lines(res.stdout).sort()).toEqual(want);
    });

    it('aggregates with --agg/--top, --histogram and --distinct', async () => {
      const agg = await runCli(['search', '--errors-only', '--agg', 'errorCode', '--top', '2', '--json'], { env: env() });
      expect(agg.code).toBe(0);
      const result = JSON.parse(agg.stdout) as { total: number; buckets: Array<{ key: string; count: number }> };
      const failed = store.events.filter((e) => e.record.errorCode !== undefined);
      expect(result.total).toBe(failed.length);
      expect(result.buckets).toHaveLength(2);
      for (const b of result.buckets) expect(b.count).toBe(failed.filter((e) => e.record.errorCode === b.key).length);

      const hist = await runCli(['search', '--from', '2026-03-01', '--to', '2026-03-02T23:59:59.999Z', '--histogram', '1d', '--json'], { env: env() });
      const days = JSON.parse(hist.stdout) as { buckets: Array<{ key: string; count: number }> };
      expect(days.buckets.map((b) => b.count)).toEqual(
        ['2026-03-01', '2026-03-02'].map((d) => store.events.filter((e) => String(e.record.eventTime).startsWith(d)).length),
      );

      const table = await runCli(['search', '--agg', 'account'], { env: env() });
      expect(lines(table.stdout)[0]).toMatch(/^account\s+count$/);

      const distinct = await runCli(['search', '--distinct', 'account'], { env: env() });
      expect(distinct.stdout).toBe('3\n');
    });

    it.each([
      [['--account', '123'], /--account: .*12-digit/],
      [['--read-only', 'maybe'], /--read-only/],
      [['--from', 'yesterday'], /--from: /],
      [['--source-ip', '10.0.0.300'], /--source-ip: /],
      [['--field', 'foo.bar=1'], /--field foo\.bar: /],
      [['--agg', 'raw'], /keyword field/],
    ])('exits 2 on %j naming the flag', async (args, message) => {
      const res = await runCli(['search', ...args], { env: env() });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(message);
    });
  });

  describe('get', () => {
    it('prints the raw record byte for byte with --raw', async () => {
      const target = store.events.find((e) => e.raw.includes('\\/')) ?? store.events[0]!;
      const res = await runCli(['get', target.id, '--raw'], { env: env() });
      expect(res.code).toBe(0);
      expect(Buffer.from(res.stdout, 'utf8').equals(Buffer.from(`${target.raw}\n`, 'utf8'))).toBe(true);
      const doc = await runCli(['get', target.id], { env: env() });
      expect(JSON.parse(doc.stdout)).toEqual(expect.objectContaining({ id: target.id, eventName: target.record.eventName }));
    });

    it('exits 1 naming the id when there is no such event', async () => {
      const res = await runCli(['get', 'no-such-event'], { env: env() });
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/NOT_FOUND.*no-such-event/);
    });
  });

  describe('keys and serve', () => {
    let server: ChildProcess | undefined;
    afterAll(() => {
      if (server && server.exitCode === null) server.kill('SIGKILL');
    });

    it('refuse to run without TRAILSCOPE_SERVER_KEY (exit 78)', async () => {
      for (const args of [['serve', '--port', '0'], ['keys', 'create']]) {
        const res = await runCli(args, { env: env() });
        expect(res.code).toBe(78);
        expect(res.stderr).toMatch(/TRAILSCOPE_SERVER_KEY/);
      }
    });

    it('create, list and revoke keys; serve answers with them and stops on SIGTERM', async () => {
      const created = await runCli(['keys', 'create', '--accounts', ACCOUNT_A, '--name', 'team-a', '--json'], { env: env({ TRAILSCOPE_SERVER_KEY: SERVER_KEY }) });
      expect(created.code).toBe(0);
      const key = JSON.parse(created.stdout) as { id: string; secret: string; accounts: string[]; name: string };
      expect(key).toEqual(expect.objectContaining({ id: expect.stringMatching(/^TS[A-Z2-7]{18}$/), secret: expect.any(String), accounts: [ACCOUNT_A], name: 'team-a' }));

      const listed = await runCli(['keys', 'list', '--json'], { env: env() });
      expect(listed.code).toBe(0);
      expect(listed.stdout).not.toContain(key.secret);
      expect(lines(listed.stdout).map((l) => JSON.parse(l) as { id: string })).toEqual([expect.objectContaining({ id: key.id, accounts: [ACCOUNT_A] })]);
      expect((await runCli(['keys', 'list'], { env: env() })).stdout).toMatch(new RegExp(`^${key.id}\\s+active\\s+accounts=${ACCOUNT_A}`));

      server = spawn(process.execPath, [CLI_BIN, 'serve', '--port', '0'], {
        cwd: REPO_ROOT,
        env: { ...cliEnv(store.ns), TRAILSCOPE_SERVER_KEY: SERVER_KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      server.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
      server.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
      const url = await waitFor(() => /TRAILSCOPE_API_URL=(\S+)/.exec(out)?.[1], { timeoutMs: 60000, what: `serve to print its URL (stderr: ${err})` });

      const res = await fetch(`${url}/v1/events?pageSize=1000`, { headers: { authorization: `Bearer ${key.id}.${key.secret}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { total: number };
      expect(body.total).toBe(store.want((e) => e.record.recipientAccountId === ACCOUNT_A).length);

      const adminRun = await runCli(['keys', 'create', '--name', 'ops', '--json'], { env: env({ TRAILSCOPE_SERVER_KEY: SERVER_KEY }) });
      const admin = JSON.parse(adminRun.stdout) as { id: string; secret: string };
      const stats = await fetch(`${url}/v1/stats`, { headers: { authorization: `Bearer ${admin.id}.${admin.secret}` } });
      expect(stats.status).toBe(200);
      expect(await stats.json()).toEqual(
        expect.objectContaining({ events: expect.objectContaining({ total: store.events.length }), queue: { waiting: 0, active: 0, delayed: 0, failed: 0, depth: 0 }, failedFiles: 0 }),
      );
      expect((await fetch(`${url}/v1/stats`, { headers: { authorization: `Bearer ${key.id}.${key.secret}` } })).status).toBe(403);

      const ct = new CloudTrailClient({ endpoint: url, region: 'eu-west-1', credentials: { accessKeyId: key.id, secretAccessKey: key.secret }, maxAttempts: 1 });
      const lookup = await ct.send(new LookupEventsCommand({ MaxResults: 3 }));
      expect(lookup.Events).toHaveLength(3);
      for (const e of lookup.Events ?? []) expect(JSON.parse(e.CloudTrailEvent!).recipientAccountId).toBe(ACCOUNT_A);

      const revoked = await runCli(['keys', 'revoke', key.id, '--json'], { env: env() });
      expect(JSON.parse(revoked.stdout)).toEqual(expect.objectContaining({ id: key.id, revokedAt: expect.any(String) }));
      expect((await fetch(`${url}/v1/events`, { headers: { authorization: `Bearer ${key.id}.${key.secret}` } })).status).toBe(401);
      expect((await runCli(['keys', 'revoke', 'TSAAAAAAAAAAAAAAAAAA'], { env: env() })).code).toBe(1);

      const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out + err).not.toContain(key.secret);
      expect(out + err).not.toContain(admin.secret);
    });
  });
});
