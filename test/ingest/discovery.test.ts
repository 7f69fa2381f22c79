import { ListObjectsV2Command, PutObjectCommand, type ListObjectsV2CommandInput, type S3Client } from '@aws-sdk/client-s3';
import { generateTrail, uploadFiles, gzipLogFile } from '@trailscope/fixtures';
import { listStreams, runIngestPass, runPoller, planStreams, type Plan } from '@trailscope/poller';
import { createS3Client } from '@trailscope/runtime';
import { classifyObject, listPages } from '@trailscope/s3';
import { createIngestQueue, DoneTracker, jobIdFor, Producer, pendingCounts, type IngestQueue } from '@trailscope/queue';
import { createScope, type TestScope } from './support/services';

const PLAIN = '111111111111';
const ORG = 'o-abcdefghij';
const ORG_ACCOUNTS = ['222222222222', '333333333333'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'];

/** Each case gets a bucket, namespace and queue of its own, with the same files uploaded: no case sees another's state. */
describe('discovery and planning against a real S3 server and Redis', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let producer: Producer;
  let done: DoneTracker;
  const trail = generateTrail({ seed: 7, accounts: [PLAIN], orgId: ORG, orgAccounts: ORG_ACCOUNTS, regions: REGIONS, days: DAYS, filesPerPartition: 2, eventsPerFile: 2, prefix: 'org-trail' });
  const insight = {
    key: `org-trail/AWSLogs/${PLAIN}/CloudTrail-Insight/us-east-1/2026/03/02/${PLAIN}_CloudTrail-Insight_us-east-1_20260302T1200Z_abcdefabcdefabcd.json.gz`,
    body: gzipLogFile([]),
  };
  const others = [
    { key: 'org-trail/AWSLogs/', body: Buffer.alloc(0) },
    { key: `org-trail/AWSLogs/${PLAIN}/`, body: Buffer.alloc(0) },
    { key: `org-trail/AWSLogs/${PLAIN}/CloudTrail/us-east-1/2026/03/01/`, body: Buffer.alloc(0) },
    { key: 'org-trail/AWSLogs/readme.txt', body: Buffer.from('hello') },
    { key: `org-trail/AWSLogs/${PLAIN}/elasticloadbalancing/us-east-1/2026/03/01/x.log.gz`, body: Buffer.from('elb') },
    { key: `org-trail/AWSLogs/${PLAIN}/CloudTrail-Digest/us-east-1/2026/03/01/${PLAIN}_CloudTrail-Digest_us-east-1_t_us-east-1_20260301T010000Z.json.gz`, body: Buffer.from('{}') },
    { key: `org-trail/AWSLogs/${ORG}/${ORG_ACCOUNTS[0]}/CloudTrail-Digest/eu-west-1/2026/03/02/${ORG_ACCOUNTS[0]}_CloudTrail-Digest_eu-west-1_t_us-east-1_20260302T010000Z.json.gz`, body: Buffer.from('{}') },
    { key: `org-trail/AWSLogs/${PLAIN}/CloudTrail/us-east-1/2026/03/01/notes.txt`, body: Buffer.from('x') },
    { key: `elsewhere/AWSLogs/${PLAIN}/CloudTrail/us-east-1/2026/03/01/${PLAIN}_CloudTrail_us-east-1_20260301T0000Z_0000000000000000.json.gz`, body: gzipLogFile([]) },
  ];

  beforeEach(async () => {
    scope = await createScope('t-discovery');
    await uploadFiles(scope.s3, scope.bucket, [...trail, insight, ...others]);
    queue = createIngestQueue(scope.config, scope.redis);
    producer = new Producer({ queue, redis: scope.redis, maxWaitingJobs: 10000 });
    done = new DoneTracker(scope.redis, scope.config.names.redisPrefix);
  });

  afterEach(async () => {
    await queue?.close();
    await scope?.close();
  });

  const pass = (options: Partial<Parameters<typeof runIngestPass>[1]> = {}, s3: S3Client = scope.s3) =>
    runIngestPass({ s3, producer, done }, { bucket: scope.bucket, prefix: 'org-trail', concurrency: 4, ...options });

  /** The day folders the stream listings of a plan find, sorted. */
  const dayFolders = async (plan: Plan): Promise<string[]> => {
    const found: string[] = [];
    await listStreams(scope.s3, plan.listings, { bucket: scope.bucket, concurrency: 4 }, async (_listing, batch) => {
      if (batch.prefix) found.push(batch.prefix);
    });
    return found.sort();
  };

  it('finds every account (plain and under the organization), kind and region, and only day folders in range', async () => {
    const plan = await planStreams(scope.s3, { bucket: scope.bucket, prefix: 'org-trail', concurrency: 4 });
    const accounts = new Set(plan.streams.map((s) => `${s.orgId ?? '-'}/${s.account}`));
    expect(accounts).toEqual(new Set([`-/${PLAIN}`, `${ORG}/${ORG_ACCOUNTS[0]}`, `${ORG}/${ORG_ACCOUNTS[1]}`]));
    expect(plan.streams.filter((s) => s.kind === 'log')).toHaveLength(3 * REGIONS.length);
    expect(plan.streams.filter((s) => s.kind === 'insight')).toHaveLength(1);
    expect(plan.streams.filter((s) => s.kind === 'digest')).toHaveLength(2);
    // 3 accounts x 2 regions x 3 days of logs, 1 insight day, 2 digest days
    expect(await dayFolders(plan)).toHaveLength(18 + 1 + 2);

    const ranged = await planStreams(scope.s3, { bucket: scope.bucket, prefix: 'org-trail', concurrency: 4, from: '2026-03-02', to: '2026-03-02', accounts: [ORG_ACCOUNTS[1] as string], regions: ['eu-west-1'] });
    expect(await dayFolders(ranged)).toEqual([`org-trail/AWSLogs/${ORG}/${ORG_ACCOUNTS[1]}/CloudTrail/eu-west-1/2026/03/02/`]);
    const fromOnly = await planStreams(scope.s3, { bucket: scope.bucket, prefix: 'org-trail', concurrency: 4, from: '2026-03-03', accounts: [PLAIN], regions: ['us-east-1'] });
    expect(await dayFolders(fromOnly)).toEqual([`org-trail/AWSLogs/${PLAIN}/CloudTrail/us-east-1/2026/03/03/`]);
    const toOnly = await planStreams(scope.s3, { bucket: scope.bucket, prefix: 'org-trail', concurrency: 4, to: '2026-03-01', accounts: [PLAIN], regions: ['us-east-1'] });
    expect(await dayFolders(toOnly)).toEqual([
      `org-trail/AWSLogs/${PLAIN}/CloudTrail-Digest/us-east-1/2026/03/01/`,
      `org-trail/AWSLogs/${PLAIN}/CloudTrail/us-east-1/2026/03/01/`,
    ]);
  });

  it('queues each log file once, counts skipped objects by reason, and adopts instead of re-adding on a second pass', async () => {
    const first = await pass();
    expect(first.filesListed).toBe(trail.length + 1);
    expect(first.filesQueued).toBe(trail.length + 1);
    expect(first.skipped).toEqual({ folder: 3, 'not-cloudtrail': 1, 'not-json-gz': 1, digest: 2 });
    expect(first.listingErrors).toEqual([]);
    const ids = new Set([...trail, insight].map((f) => jobIdFor({ bucket: scope.bucket, key: f.key, etag: '' })));
    expect(ids.size).toBe(trail.length + 1);
    expect((await pendingCounts(queue)).waiting).toBe(trail.length + 1);
    const job = await queue.getJob(jobIdFor({ bucket: scope.bucket, key: insight.key, etag: (await queue.getJobs(['waiting'], 0, 1000)).find((j) => j.data.key === insight.key)?.data.etag ?? '' }));
    expect(job?.data).toEqual(expect.objectContaining({ kind: 'insight', account: PLAIN, region: 'us-east-1', bucket: scope.bucket }));

    const second = await pass();
    expect(second.filesQueued).toBe(0);
    expect(second.filesAdopted).toBe(trail.length + 1);
    expect((await pendingCounts(queue)).waiting).toBe(trail.length + 1);
  });

  it('skips done files on later passes and collapses finished closed days into one marker each', async () => {
    expect((await pass()).filesQueued).toBe(trail.length + 1);
    const jobs = await queue.getJobs(['waiting'], 0, 1000);
    expect(jobs).toHaveLength(trail.length + 1);
    for (const j of jobs) await done.markDone(j.data);
    await queue.obliterate({ force: true });
    const later = await pass();
    expect(later.filesQueued).toBe(0);
    expect(later.filesAlreadyIndexed).toBe(trail.length + 1);
    // every day of 2026 is closed by now: per-file sets are gone, one marker per partition remains
    const perFile = await scope.redis.keys(`${scope.ns}:done:*`);
    expect(perFile).toEqual([]);
    expect(await scope.redis.hlen(`${scope.ns}:complete`)).toBe(19);

    // a file added to a sealed day changes its digest: the day is processed again (idempotent writes make it safe)
    const extra = generateTrail({ seed: 99, accounts: [PLAIN], regions: ['us-east-1'], days: ['2026-03-01'], filesPerPartition: 1, eventsPerFile: 1, prefix: 'org-trail' });
    await uploadFiles(scope.s3, scope.bucket, extra);
    const again = await pass({ from: '2026-03-01', to: '2026-03-01', accounts: [PLAIN], regions: ['us-east-1'] });
    expect(again.filesQueued).toBe(trail.filter((f) => f.key.includes(`${PLAIN}/CloudTrail/us-east-1/2026/03/01/`)).length + 1);
  });

  it('tails with per-stream checkpoints, re-listing the last two delivery days of each stream every cycle', async () => {
    const opts = { bucket: scope.bucket, prefix: 'org-trail', concurrency: 4, intervalMs: 1000, once: true, redis: scope.redis, redisPrefix: scope.config.names.redisPrefix, accounts: [PLAIN], regions: ['us-east-1'] };
    const first = await runPoller({ s3: scope.s3, producer, done }, opts);
    expect(first?.partitions).toBe(3 + 1 + 1);
    const checkpoints = await scope.redis.hgetall(`${scope.ns}:checkpoint:${scope.bucket}`);
    expect(Object.keys(checkpoints)).toHaveLength(3);
    expect(checkpoints[`org-trail/AWSLogs/${PLAIN}/CloudTrail/us-east-1/`]).toMatch(/\/2026\/03\/03\//);

    // late files: one in the day before the checkpoint's day (re-listed), one older (never listed again by poll)
    const late = [
      { key: `org-trail/AWSLogs/${PLAIN}/CloudTrail/us-east-1/2026/03/02/${PLAIN}_CloudTrail_us-east-1_20260302T0001Z_0000000000000001.json.gz`, body: gzipLogFile([]) },
      { key: `org-trail/AWSLogs/${PLAIN}/CloudTrail/us-east-1/2026/03/01/${PLAIN}_CloudTrail_us-east-1_20260301T0001Z_0000000000000002.json.gz`, body: gzipLogFile([]) },
    ];
    for (const f of late) await scope.s3.send(new PutObjectCommand({ Bucket: scope.bucket, Key: f.key, Body: f.body }));
    const second = await runPoller({ s3: scope.s3, producer, done }, opts);
    // log: the checkpoint day and the day before; insight and digest: their only day
    expect(second?.partitions).toBe(2 + 1 + 1);
    const queued = (await queue.getJobs(['waiting'], 0, 1000)).map((j) => j.data.key);
    expect(queued).toContain(late[0]?.key);
    expect(queued).not.toContain(late[1]?.key);
  });
  /** An S3 client on the same server that records every ListObjectsV2 request (and can fail chosen ones). */
  const recordingClient = (failWhen?: (input: ListObjectsV2CommandInput, nth: number) => boolean) => {
    const s3: S3Client = createS3Client(scope.config);
    const requests: ListObjectsV2CommandInput[] = [];
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === ListObjectsV2Command.name) {
          const input = { ...(args.input as ListObjectsV2CommandInput) };
          requests.push(input);
          if (failWhen?.(input, requests.filter((r) => r.Prefix === input.Prefix).length)) throw Object.assign(new Error('injected: connection reset'), { code: 'ECONNRESET' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'recordListRequests' },
    );
    return { s3, requests };
  };

  /** Every key of a stream, in listing order. */
  const keysUnder = async (root: string): Promise<string[]> => {
    const keys: string[] = [];
    for await (const page of listPages(scope.s3, { bucket: scope.bucket, prefix: root })) keys.push(...page.objects.map((o) => o.key));
    return keys;
  };

  it('lists each stream as one ListObjectsV2 sequence: requests follow pages, not day folders', async () => {
    const { s3, requests } = recordingClient();
    const pageSize = 2;
    try {
      const result = await pass({ pageSize }, s3);
      expect(result.listingErrors).toEqual([]);
      expect(result.partitions).toBe(21);
      expect(result.partitionsListed).toBe(21);
      const plan = await planStreams(scope.s3, { bucket: scope.bucket, prefix: 'org-trail', concurrency: 4 });
      let pages = 0;
      for (const stream of plan.streams) pages += Math.ceil((await keysUnder(stream.root)).length / pageSize);
      const streamRequests = requests.filter((r) => r.Delimiter === undefined);
      // one sequence per stream, page after page: never a request per day folder, nor day-folder discovery
      expect(streamRequests).toHaveLength(pages);
      expect(new Set(streamRequests.filter((r) => !r.ContinuationToken).map((r) => r.Prefix))).toEqual(new Set(plan.streams.map((s) => s.root)));
      expect(streamRequests.filter((r) => !r.ContinuationToken)).toHaveLength(plan.streams.length);
      // the Delimiter listings are discovery's alone: the bucket level, the organization, 3 accounts, 6 kind folders
      expect(requests.filter((r) => r.Delimiter === '/')).toHaveLength(1 + 1 + 3 + 6);
    } finally {
      s3.destroy();
    }
  });

  it('retries a failed stream listing from the last day it finished, never listing a day twice', async () => {
    const root = `org-trail/AWSLogs/${PLAIN}/CloudTrail/us-east-1/`;
    const keys = await keysUnder(root);
    const dayOf = (k: string) => k.slice(root.length, root.length + 11);
    const days = [...new Set(keys.map(dayOf))];
    expect(days.length).toBeGreaterThanOrEqual(3);
    const firstDayKeys = keys.filter((k) => dayOf(k) === days[0]);
    const pageSize = 2;
    // fail the request for the page right after the one that completed the first day (it held the second day's first key)
    const failAt = Math.floor(firstDayKeys.length / pageSize) + 2;
    const { s3, requests } = recordingClient((input, nth) => input.Prefix === root && nth === failAt);
    try {
      const result = await pass({ pageSize, accounts: [PLAIN], regions: ['us-east-1'] }, s3);
      expect(result.listingErrors).toEqual([]);
      const streamRequests = requests.filter((r) => r.Prefix === root);
      // the retry starts a new sequence right after the first day's last key
      const retry = streamRequests[failAt];
      expect(retry?.ContinuationToken).toBeUndefined();
      expect(retry?.StartAfter).toBe(firstDayKeys[firstDayKeys.length - 1]);
      const logFiles = keys.filter((k) => 'file' in classifyObject(scope.bucket, { key: k, size: 0, etag: '' })).length;
      // log stream, insight day, digest day: each file counted once
      expect(result.filesListed).toBe(logFiles + 1);
      expect(result.partitions).toBe(days.length + 1 + 1);
      expect(result.partitionsListed).toBe(result.partitions);
      expect(result.filesQueued + result.filesAdopted + result.filesAlreadyIndexed).toBe(result.filesListed);
      expect(result.lastKeyByStream.get(root)).toBe(keys[keys.length - 1]);
    } finally {
      s3.destroy();
    }
  });
});
