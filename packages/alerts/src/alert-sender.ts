import type { Names } from '@trailscope/model';
import type { Logger, OpenSearchClient, Redis } from '@trailscope/runtime';
import { RetryInOrder, addAlertJobs, createAlertQueue, createAlertWorker, permanentAlertFailure } from '@trailscope/queue';
import { DeliveryMarks, markDelivery, recordQueued, requeueLost } from './delivery-outbox';
import type { AlertsConfig } from './alerts-config';
import type { Alert } from './alert';
import { deliver } from './deliver';

export interface AlertSenderDeps {
  opensearch: OpenSearchClient;
  redis: Redis;
  /** BullMQ connection options (a dedicated connection per worker). */
  connection: object;
  names: Pick<Names, 'namespace' | 'redisPrefix'>;
  logger?: Logger;
}

export interface AlertSender {
  close(): Promise<void>;
}

/** Exponential backoff with jitter: base·2^(n-1), capped, then a random 50-100 % of it so retries spread out. */
export function backoffMs(attemptsMade: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attemptsMade - 1, 40)));
  return Math.round(exp * (0.5 + random() * 0.5));
}

/** Delivered marks are written to Redis this many at a time (and always before a job ends or waits). */
const DONE_BATCH = 64;

/**
 * One BullMQ worker per destination, one job at a time each, in queue order; a job holds one alert or the alerts of
 * a detection pass for that destination (oldest finding first), delivered one after the other. A failed delivery is
 * retried before the destination's later alerts, and a dead destination holds up only its own queue. An outage, 429
 * or 5xx is retried with backoff until `delivery.maxRetry` after the alert was due, then dead-lettered (failed, listed
 * by `alerts failed`); any other 4xx fails at once. An alert of a batch that is dead-lettered is set apart as a job
 * of its own (failed at once, retried by hand like any); the batch goes on with its next alert.
 */
export function startAlertSender(deps: AlertSenderDeps, config: AlertsConfig): AlertSender {
  const { logger } = deps;
  const marks = new DeliveryMarks(deps.opensearch, deps.names, logger);
  const queueOf = new Map(config.destinations.map((d) => [d.name, createAlertQueue({ names: deps.names as Names }, d.name, deps.redis)]));
  const workers = config.destinations.map((d) =>
    createAlertWorker({
      config: { names: deps.names as Names },
      destination: d.name,
      connection: deps.connection as never,
      backoffMs: (n) => backoffMs(n, config.delivery.backoffBase, config.delivery.backoffMax),
      logger,
      process: async (data, job) => {
        if (typeof data.deadLetter === 'string') throw permanentAlertFailure(data.deadLetter);
        let list: Alert[];
        const summary = data.summary as { alert: Alert; membersKey: string } | undefined;
        if (summary) {
          const count = await deps.redis.scard(summary.membersKey);
          if (count <= 1) {
            // nothing more matched in the window: no summary, and nothing left to deliver
            marks.add(d.name, job.id, 'sent');
            return;
          }
          list = [{ ...summary.alert, id: `${summary.alert.id}-summary`, kind: 'summary', count, more: count - 1 }];
        } else {
          list = Array.isArray(data.alerts) ? (data.alerts as Alert[]) : data.alert ? [data.alert as Alert] : [];
        }
        if (list.length === 0) throw permanentAlertFailure(`job ${job.id} holds no alert`);
        // a job started again (a retry in order, a stalled job, a replayed pass under another job id) skips what
        // was delivered; one retried by hand is sent whatever it was
        const skip = typeof data.retriedAtMs === 'number' ? new Set<string>() : await job.doneAmong(list.map((a) => a.id));
        let delivered: string[] = [];
        const flushDone = async () => {
          const ids = delivered;
          delivered = [];
          await job.done(ids);
        };
        for (const alert of list) {
          if (skip.has(alert.id)) continue;
          const outcome = await deliver(d, alert, config.delivery.timeout);
          if (outcome.ok) {
            delivered.push(alert.id);
            if (delivered.length >= DONE_BATCH) await flushDone();
            continue;
          }
          await flushDone();
          const spentMs = Date.now() - job.firstAttemptMs;
          const attempt = job.failuresOf(alert.id) + 1;
          const fields = { destination: d.name, alertId: alert.id, ruleId: alert.ruleId, attempt, reason: outcome.reason };
          if (outcome.retry && spentMs < config.delivery.maxRetry) {
            await job.failed(alert.id);
            if (attempt === 1 || attempt % 20 === 0) logger?.warn(fields, 'alert delivery failed; retrying with backoff');
            // the destination's later alerts wait behind this one: it keeps its place
            throw new RetryInOrder(`${d.name} ${outcome.reason}`, backoffMs(attempt, config.delivery.backoffBase, config.delivery.backoffMax));
          }
          const reason = outcome.retry ? `${d.name} ${outcome.reason}; gave up after ${spentMs} ms of retries` : `${d.name} ${outcome.reason}`;
          if (outcome.retry) logger?.error({ ...fields, spentMs }, 'alert not delivered within the retry time; dead-lettered (alerts failed lists it)');
          else logger?.error(fields, 'alert refused by its destination; dead-lettered (alerts failed lists it)');
          if (list.length === 1) {
            await markDelivery(deps.opensearch, deps.names, d.name, job.id, 'failed', logger);
            throw permanentAlertFailure(reason);
          }
          await setApart(d.name, alert, reason);
          await job.done([alert.id]);
        }
        await flushDone();
        marks.add(d.name, job.id, 'sent');
      },
    }),
  );
  /** A dead-lettered alert of a batch: recorded as failed, then queued ahead of the rest to fail at once as itself. */
  const setApart = async (destination: string, alert: Alert, reason: string) => {
    const entry = { destination, job: { jobId: `${alert.id}-${destination}-apart`, data: { alert, deadLetter: reason } }, dueMs: Date.now() };
    await recordQueued(deps.opensearch, deps.names, [entry], new Date(), 'failed');
    const queue = queueOf.get(destination);
    if (queue) await addAlertJobs(queue, [{ ...entry.job, first: true }]);
  };
  const queues = [...queueOf].map(([name, queue]) => ({ name, queue }));
  let reconciling: Promise<void> | undefined;
  const reconcile = async () => {
    for (const { name, queue } of queues) {
      try {
        const n = await requeueLost(deps.opensearch, deps.names, name, queue, config.delivery.reconcile);
        if (n > 0) logger?.warn({ destination: name, requeued: n }, 'queued alerts missing from Redis were queued again');
      } catch (err) {
        logger?.warn({ err, destination: name }, 'could not check for lost alert jobs; trying again later');
      }
    }
  };
  const timer = setInterval(() => {
    reconciling ??= reconcile().finally(() => {
      reconciling = undefined;
    });
  }, config.delivery.reconcile);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await reconciling;
      await Promise.all(workers.map((w) => w.close()));
      await marks.flush();
      await Promise.all(queues.map((q) => q.queue.close()));
    },
  };
}
