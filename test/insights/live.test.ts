import { apiCallRecord, createRandom, gzipLogFile, logFileKey, poisson, uploadFiles } from '@trailscope/fixtures';
import { sharedEventIdOf } from '@trailscope/insights';
import { installTemplates } from '@trailscope/indexer';
import { insightsQueueName } from '@trailscope/queue';
import { Queue } from 'bullmq';
import { startCli, type CliProcess } from '../ingest/support/processes';
import { createScope, type TestScope } from '../ingest/support/services';
import { runCli, waitFor } from '../support/env';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const KEY = { account: ACCOUNT, region: REGION, eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances' };

interface InsightRecord {
  eventTime: string;
  eventID: string;
  sharedEventID: string;
  insightDetails: { state: 'Start' | 'End'; eventName: string; insightType: string; insightContext: { statistics: { insight: { average: number } } } };
}

/** Log files of RunInstances calls: `rate(minuteMs)` calls a minute over [fromMs, toMs), one file per `fileMs` of calls. */
function callFiles(seed: number, fromMs: number, toMs: number, rate: (minuteMs: number) => number, suffix: string, fileMs = HOUR): Array<{ key: string; body: Buffer; events: number }> {
  const rng = createRandom(seed);
  const files: Array<{ key: string; body: Buffer; events: number }> = [];
  for (let h = fromMs; h < toMs; h += fileMs) {
    const raws: string[] = [];
    for (let t = h; t < Math.min(toMs, h + fileMs); t += MINUTE) {
      const n = poisson(rng, rate(t));
      for (let i = 0; i < n; i++) {
        const eventID = rng.uuid();
        raws.push(
          JSON.stringify(
            apiCallRecord({
              account: ACCOUNT,
              userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Deployer/session`, accountId: ACCOUNT },
              eventTime: new Date(t + rng.int(0, 59) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
              eventSource: KEY.eventSource,
              eventName: KEY.eventName,
              region: REGION,
              sourceIPAddress: '192.0.2.10',
              userAgent: 'aws-cli/2.15.0',
              requestID: eventID,
              eventID,
            }),
          ),
        );
      }
    }
    if (raws.length === 0) continue;
    files.push({ key: logFileKey({ account: ACCOUNT, region: REGION, fileTimeMs: Math.min(toMs, h + fileMs), suffix: `${suffix}${String(h / MINUTE)}` }), body: gzipLogFile(raws), events: raws.length });
  }
  return files;
}

/**
 * The live Insights job run by the workers themselves: two `trailscope worker` processes ingest what `backfill`
 * queues and share the job's ticks (each tick in one of them). A day of calls raises nothing; a spike delivered
 * later appears as one Start and one End, which a later `insights run` over the same minutes finds again as the
 * same records.
 */
describe('live Insights in trailscope worker', () => {
  // (one of the two workers is killed with SIGKILL mid-tick before the spike is delivered)
  let scope: TestScope;
  const workers: CliProcess[] = [];
  const env = () => ({
    TRAILSCOPE_NAMESPACE: scope.ns,
    TRAILSCOPE_INSIGHTS_BASELINE_DAYS: '1',
    TRAILSCOPE_INSIGHTS_DELAY_MINUTES: '0',
    TRAILSCOPE_INSIGHTS_LOOKBACK_MINUTES: '60',
    TRAILSCOPE_INSIGHTS_EVERY_MS: '1000',
    // a tick of a killed worker is run again by the other after this lock
    TRAILSCOPE_JOB_LOCK_MS: '4000',
    // the ticks are read from the workers' logs
    LOG_LEVEL: 'debug',
  });
  const logLines = (w: CliProcess, msg: string) =>
    w
      .output()
      .stderr.split('\n')
      .filter((l) => l.includes(`"msg":"${msg}"`))
      .map((l) => JSON.parse(l) as { jobId: string; tickMs: number; time: number });
  /** The ticks each worker logged as done: job id and the time it ran for. */
  const ticks = () => workers.map((w) => logLines(w, 'live insights run done'));
  const insights = async (): Promise<InsightRecord[]> => {
    await scope.opensearch.indices.refresh({ index: scope.config.names.eventIndexPattern });
    const res = await scope.opensearch.search({
      index: scope.config.names.eventsAlias,
      body: { size: 100, query: { term: { eventType: 'AwsCloudTrailInsight' } }, sort: [{ eventTime: 'asc' }, { id: 'asc' }] },
    });
    return (res.body.hits.hits as Array<{ _source: { raw: string; ingest: { kind: string } } }>).map((h) => {
      expect(h._source.ingest.kind).toBe('computed-insight');
      return JSON.parse(h._source.raw) as InsightRecord;
    });
  };
  const eventCount = async () => {
    await scope.opensearch.indices.refresh({ index: scope.config.names.eventIndexPattern });
    // the delivered events only: the Insights records a tick computes are stored beside them, and counting those too
    // could step past the awaited total between two polls
    const body = { query: { bool: { must_not: [{ term: { eventType: 'AwsCloudTrailInsight' } }] } } };
    return (await scope.opensearch.count({ index: scope.config.names.eventsAlias, body } as never)).body.count as number;
  };
  const ingest = async (files: Array<{ key: string; body: Buffer; events: number }>, total: number) => {
    await uploadFiles(scope.s3, scope.bucket, files);
    const res = await runCli(['backfill', '--bucket', scope.bucket], { env: { ...env(), LOG_LEVEL: 'warn' } });
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    await waitFor(async () => (await eventCount()) === total, { timeoutMs: 180000, intervalMs: 500, what: `${total} events indexed` });
  };

  beforeAll(async () => {
    scope = await createScope('t-insights-live');
    await installTemplates(scope.opensearch, scope.config);
    for (let i = 0; i < 2; i++) workers.push(startCli(['worker', '--concurrency', '2'], env()));
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await scope?.close();
  });

  let killed: string | undefined;
  const nowMs = Math.floor(Date.now() / MINUTE) * MINUTE;
  const noise = callFiles(1, nowMs - DAY - 2 * HOUR, nowMs, () => 1, 'noise');
  const noiseEvents = noise.reduce((n, f) => n + f.events, 0);

  it('computes Insights as events arrive: a day of calls raises nothing; a spike delivered later, a Start then an End', async () => {
    await ingest(noise, noiseEvents);
    const ingestedAt = Date.now();
    // three ticks that ran after every noise event was searchable
    await waitFor(() => ticks().flat().filter((t) => t.time > ingestedAt + 1000).length >= 3, { timeoutMs: 120000, intervalMs: 500, what: 'three live ticks after the noise' });
    expect(await insights()).toEqual([]);

    // One worker is killed in the middle of a tick (started, not done); the other goes on alone and runs that tick too.
    const killedJob = await waitFor(
      () => {
        for (const w of workers) {
          const started = logLines(w, 'live insights run started').at(-1);
          if (started && !logLines(w, 'live insights run done').some((d) => d.jobId === started.jobId)) {
            w.child.kill('SIGKILL');
            return { worker: w, jobId: started.jobId };
          }
        }
        return undefined;
      },
      { timeoutMs: 60000, intervalMs: 2, what: 'a worker in the middle of a tick' },
    );
    expect(await killedJob.worker.exited).toBe(137);
    const survivor = workers.find((w) => w !== killedJob.worker)!;
    // Its log line may have come a moment before the kill, between the tick's end and BullMQ recording it: whether the
    // tick was finished is what the queue says.
    const finishedBeforeKill = (await scope.redis.zscore(`bull:${insightsQueueName(scope.config)}:completed`, killedJob.jobId)) !== null;

    const spikeStart = Math.floor(Date.now() / MINUTE) * MINUTE - 16 * MINUTE;
    const spikeEnd = spikeStart + 8 * MINUTE;
    // The spike's minutes are already past the ticks' window end when it is delivered: a tick that ran while its
    // file was being indexed would see part of it (a refresh can fall in the middle of a bulk request) and end the
    // insight early. In use the delivery delay (TRAILSCOPE_INSIGHTS_DELAY_MINUTES, 15 by default) keeps a tick off
    // minutes whose files are still arriving; here, with no delay, the ticks are held (the queue is paused, and the
    // tick running at that moment, or the killed one, is let go) while the spike is indexed, and resumed after.
    const spike = callFiles(2, spikeStart, spikeEnd, () => 29, 'spike', DAY);
    expect(spike).toHaveLength(1);
    const ticksQueue = new Queue(insightsQueueName(scope.config), { connection: scope.redis });
    try {
      await ticksQueue.pause();
      await waitFor(async () => (await ticksQueue.getActiveCount()) === 0, { timeoutMs: 60000, intervalMs: 200, what: 'no live tick running' });
      await ingest(spike, noiseEvents + spike.reduce((n, f) => n + f.events, 0));
      await ticksQueue.resume();
    } finally {
      await ticksQueue.close();
    }
    const pair = await waitFor(async () => {
      const found = await insights();
      return found.length >= 2 ? found : undefined;
    }, { timeoutMs: 120000, intervalMs: 500, what: 'a Start and an End record' });
    const [start, end] = pair;
    expect({ states: pair.map((r) => r.insightDetails.state), pair }).toEqual({ states: ['Start', 'End'], pair });
    expect(start!.sharedEventID).toBe(end!.sharedEventID);
    expect(start!.sharedEventID).toBe(sharedEventIdOf('ApiCallRateInsight', KEY, Date.parse(start!.eventTime)));
    expect(start!.insightDetails).toMatchObject({ eventName: 'RunInstances', insightType: 'ApiCallRateInsight' });
    expect(Math.abs(Date.parse(start!.eventTime) - spikeStart)).toBeLessThanOrEqual(2 * MINUTE);
    expect(Date.parse(end!.eventTime)).toBeGreaterThanOrEqual(spikeEnd);
    expect(Date.parse(end!.eventTime)).toBeLessThanOrEqual(spikeEnd + 5 * MINUTE);

    // more ticks find the same insight again and write nothing new
    const seen = ticks().flat().length;
    await waitFor(() => ticks().flat().length >= seen + 3, { timeoutMs: 120000, intervalMs: 500, what: 'three more ticks' });
    expect((await insights()).map((r) => r.eventID)).toEqual(pair.map((r) => r.eventID));

    // the history run over the same minutes agrees record for record
    const from = new Date(spikeStart - 30 * MINUTE).toISOString();
    const to = new Date(spikeEnd + 10 * MINUTE).toISOString();
    const again = await runCli(['insights', 'run', '--from', from, '--to', to, '--json'], { env: { ...env(), LOG_LEVEL: 'warn' } });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.trim())).toMatchObject({ starts: 1, ends: 1, created: 0, existing: 2, conflicts: 0 });

    // the killed worker's unfinished tick, taken over once its lock expired
    if (!finishedBeforeKill) {
      await waitFor(() => logLines(survivor, 'live insights run done').some((d) => d.jobId === killedJob.jobId), { timeoutMs: 60000, what: `tick ${killedJob.jobId} run by the other worker` });
    }
    killed = killedJob.jobId;
  });

  it('runs each tick to its end in one worker only (the killed tick excepted: it may have logged its end as it was killed)', () => {
    const ids = ticks()
      .flat()
      .map((t) => t.jobId);
    // at least the three after the noise and the three after the spike that the first test waited for
    expect(ids.length).toBeGreaterThanOrEqual(6);
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(twice.filter((id) => id !== killed)).toEqual([]);
  });
});
