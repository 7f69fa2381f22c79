import type { Names } from '@trailscope/model';
import type { Logger, OpenSearchClient, Redis } from '@trailscope/runtime';
import { RetryInOrder, createAlertQueue, createAlertWorker, permanentAlertFailure } from '@trailscope/queue';
import { DeliveryMarks, markDelivery, requeueLost } from './delivery-outbox';
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

/**
 * One BullMQ worker per destination, one alert at a time each, in queue order (oldest finding first within a
 * detection pass): a failed delivery is retried before the destination's later alerts, and a dead destination holds
 * up only its own queue. An outage, 429 or 5xx is retried with backoff until `delivery.maxRetry`
 * after the alert was due, then dead-lettered (failed, listed by `alerts failed`); any other 4xx fails at once.
 */
export function startAlertSender(deps: AlertSenderDeps, config: AlertsConfig): AlertSender {
  const { logger } = deps;
  const marks = new DeliveryMarks(deps.opensearch, deps.names, logger);
  const workers = config.destinations.map((d) =>
    createAlertWorker({
      config: { names: deps.names as Names },
      destination: d.name,
      connection: deps.connection as never,
      backoffMs: (n) => backoffMs(n, config.delivery.backoffBase, config.delivery.backoffMax),
      logger,
      process: async (data, job) => {
        let alert = data.alert as Alert | undefined;
        const summary = data.summary as { alert: Alert; membersKey: string } | undefined;
        if (summary) {
          const count = await deps.redis.scard(summary.membersKey);
          if (count <= 1) {
            // nothing more matched in the window: no summary, and nothing left to deliver
            marks.add(d.name, job.id, 'sent');
            return;
          }
          alert = { ...summary.alert, id: `${summary.alert.id}-summary`, kind: 'summary', count, more: count - 1 };
        }
        if (!alert) throw permanentAlertFailure(`job ${job.id} holds no alert`);
        const outcome = await deliver(d, alert, config.delivery.timeout);
        if (outcome.ok) {
          marks.add(d.name, job.id, 'sent');
          return;
        }
        const spentMs = Date.now() - job.firstAttemptMs;
        const fields = { destination: d.name, alertId: alert.id, ruleId: alert.ruleId, attempt: job.attempt, reason: outcome.reason };
        if (!outcome.retry) {
          logger?.error(fields, 'alert refused by its destination; dead-lettered (alerts failed lists it)');
          await markDelivery(deps.opensearch, deps.names, d.name, job.id, 'failed', logger);
          throw permanentAlertFailure(`${d.name} ${outcome.reason}`);
        }
        if (spentMs >= config.delivery.maxRetry) {
          logger?.error({ ...fields, spentMs }, 'alert not delivered within the retry time; dead-lettered (alerts failed lists it)');
          await markDelivery(deps.opensearch, deps.names, d.name, job.id, 'failed', logger);
          throw permanentAlertFailure(`${d.name} ${outcome.reason}; gave up after ${spentMs} ms of retries`);
        }
        if (job.attempt === 1 || job.attempt % 20 === 0) logger?.warn(fields, 'alert delivery failed; retrying with backoff');
        // the destination's later alerts wait behind this one: it keeps its place
        throw new RetryInOrder(`${d.name} ${outcome.reason}`, backoffMs(job.attempt, config.delivery.backoffBase, config.delivery.backoffMax));
      },
    }),
  );
  const queues = config.destinations.map((d) => ({ name: d.name, queue: createAlertQueue({ names: deps.names as Names }, d.name, deps.redis) }));
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
