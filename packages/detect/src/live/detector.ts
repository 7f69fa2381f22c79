import { AlertPlanner, loadAlerts, type LoadedAlerts } from '@trailscope/alerts';
import { sleep, toOpenSearchError, type Config, type Logger, type OpenSearchClient, type Redis } from '@trailscope/runtime';
import { applyFindingsRetention, installDetectionIndices } from '../findings-index';
import { writeFindings } from '../findings-writer';
import { RuleSetCache, type LoadedRuleSet } from '../rule-set-store';
import { evaluateBatch } from './evaluate-batch';
import { LeaderLock } from './leader-lock';
import { PendingFiles, filesFilter } from './pending-files';
import { TermStore } from './term-store';

export interface DetectorDeps {
  opensearch: OpenSearchClient;
  redis: Redis;
  config: Pick<Config, 'names' | 'namespace' | 'index' | 'alerts'> & { api: Pick<Config['api'], 'serverKey'> };
  logger: Logger;
}

export interface DetectorOptions {
  /** Pause between passes when nothing is pending; a file this process reports as indexed ends it at once. */
  intervalMs?: number;
  /** How often the applied rule set is read again (changes apply within this time, no restart). */
  ruleRefreshMs?: number;
  /** Files evaluated per pass. */
  batchFiles?: number;
  lockTtlMs?: number;
  /** How often the leading detector deletes findings past retention (TRAILSCOPE_RETENTION_DAYS). */
  retentionSweepMs?: number;
  now?: () => Date;
}

export interface Detector {
  /** Records that a file's events are all indexed; call before marking the file done. */
  /** `alert: false`: a backfill without `--alert`, whose findings are recorded without alerting. */
  fileIndexed(file: { bucket: string; key: string; alert?: boolean }): Promise<void>;
  /** Runs passes until nothing is pending (or another process leads); resolves with the files evaluated. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export const DEFAULT_DETECT_INTERVAL_MS = 5_000;
export const DEFAULT_RULE_REFRESH_MS = 30_000;
export const DEFAULT_FINDINGS_RETENTION_SWEEP_MS = 60 * 60 * 1000;

/**
 * Live detection. Workers report every file they finished indexing; one detector at a time (a Redis lock among the
 * worker processes) evaluates the applied rule set over the events those files created, writes the findings, and
 * only then forgets the files. So each event is evaluated after it is indexed whatever path brought it (poll,
 * backfill, retries, replays, late events), and a crash anywhere only repeats work whose writes are idempotent.
 */
export function startDetector(deps: DetectorDeps, options: DetectorOptions = {}): Detector {
  const { opensearch, redis, config, logger } = deps;
  const intervalMs = options.intervalMs ?? DEFAULT_DETECT_INTERVAL_MS;
  const batchFiles = options.batchFiles ?? 50;
  const now = options.now ?? (() => new Date());
  const pending = new PendingFiles(redis, config.names.redisPrefix);
  const terms = new TermStore(redis, config.names.redisPrefix);
  const lock = new LeaderLock(redis, `${config.names.redisPrefix}detect:leader`, options.lockTtlMs ?? 20_000);
  const rules = new RuleSetCache(opensearch, config, options.ruleRefreshMs ?? DEFAULT_RULE_REFRESH_MS, (set: LoadedRuleSet | undefined, previous) => {
    if (set) logger.info({ version: set.version, rules: set.rules.length, refused: set.refused.length, previousVersion: previous?.version }, 'detection rule set loaded');
    else if (previous) logger.info({ previousVersion: previous.version }, 'detection rule set removed');
    for (const r of set?.refused ?? []) logger.error({ file: r.file, line: r.line, reason: r.reason }, 'detection rule refused; the other rules run');
  });
  const abort = new AbortController();
  let indicesReady = false;
  // alert queues only add jobs, so they share the detector's connection
  const planner = new AlertPlanner({ opensearch, redis, names: config.names, logger }, redis);
  let alerts: { at: number; loaded: LoadedAlerts | undefined } | undefined;
  const alertsSource = { file: config.alerts.file, serverKey: config.api.serverKey };
  async function currentAlerts(nowMs: number): Promise<LoadedAlerts | undefined> {
    if (!alerts || nowMs - alerts.at >= (options.ruleRefreshMs ?? DEFAULT_RULE_REFRESH_MS)) {
      try {
        alerts = { at: nowMs, loaded: await loadAlerts(opensearch, config.names, alertsSource) };
      } catch (err) {
        // a broken alerts file must not stop detection: the last good one stays in force
        logger.error({ err }, 'alerts configuration unreadable; the previous one stays in force');
        alerts = { at: nowMs, loaded: alerts?.loaded };
      }
    }
    return alerts.loaded;
  }
  let running: Promise<number> | undefined;
  // a file reported while the loop idles wakes it; one reported during a pass makes the next idle end at once
  let woken = false;
  let wakeUp: (() => void) | undefined;
  function idle(ms: number): Promise<void> {
    if (woken || abort.signal.aborted) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', done);
        wakeUp = undefined;
        woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      abort.signal.addEventListener('abort', done, { once: true });
      wakeUp = done;
    });
  }
  const retentionSweepMs = options.retentionSweepMs ?? DEFAULT_FINDINGS_RETENTION_SWEEP_MS;
  let sweptAtMs = -Infinity;

  async function sweepFindings(): Promise<void> {
    const nowMs = now().getTime();
    if (config.index.retentionDays <= 0 || nowMs - sweptAtMs < retentionSweepMs) return;
    sweptAtMs = nowMs;
    try {
      const deleted = await applyFindingsRetention(opensearch, config, new Date(nowMs));
      if (deleted > 0) logger.info({ deleted, retentionDays: config.index.retentionDays }, 'deleted findings past retention');
    } catch (err) {
      // retention is never worth stopping detection for
      logger.warn({ err }, 'findings retention sweep failed; retrying next interval');
    }
  }

  async function pass(): Promise<number> {
    if (!(await lock.acquire())) return 0;
    await sweepFindings();
    const set = await rules.current(now().getTime());
    // a pass evaluates files of one kind, live (alerting) or backfilled (quiet): the oldest file's kind
    const taken = await pending.take(batchFiles);
    const alerting = taken[0]?.file.alert !== false;
    const batch = taken.filter((b) => (b.file.alert !== false) === alerting);
    if (batch.length === 0) return 0;
    if (set && set.rules.length > 0) {
      if (!indicesReady) {
        await installDetectionIndices(opensearch, config);
        indicesReady = true;
      }
      try {
        // the files' last bulk requests may not be searchable yet
        await opensearch.indices.refresh({ index: config.names.eventsAlias, ignore_unavailable: true, allow_no_indices: true });
      } catch (err) {
        throw toOpenSearchError(err, `refreshing ${config.names.eventsAlias}`);
      }
      const filter = filesFilter(batch.map((b) => b.file));
      const onRuleError = (rule: { id: string; file: string }, err: unknown) =>
        logger.error({ ruleId: rule.id, file: rule.file, err, files: batch.length }, 'detection rule failed on these files; the other rules ran');
      let writes = await evaluateBatch({ client: opensearch, names: config.names, now, signal: abort.signal, onRuleError, terms }, set.rules, filter);
      if (abort.signal.aborted) return 0;
      const loadedAlerts = await currentAlerts(now().getTime());
      let enqueue: (() => Promise<void>) | undefined;
      if (loadedAlerts) {
        // exceptions drop findings before they are written; alerts are recorded in the outbox before the findings
        // that cause them, and their jobs queued beside the findings write
        const plan = await planner.plan(loadedAlerts, writes.flatMap((w) => (w.op === 'update' ? [] : [w.doc])), now(), { alert: alerting });
        if (plan.excepted.size > 0) writes = writes.filter((w) => w.op === 'update' || !plan.excepted.has(w.doc.id));
        if (plan.queued > 0 || plan.excepted.size > 0) logger.info({ files: batch.length, queued: plan.queued, excepted: plan.excepted.size }, 'detection pass queued alerts');
        enqueue = plan.enqueue;
      }
      const [written] = await Promise.all([writeFindings(opensearch, config, writes, { refresh: 'wait_for' }), enqueue?.()]);
      if (written.created > 0 || written.updated > 0) {
        logger.info({ files: batch.length, ruleSet: set.version, created: written.created, updated: written.updated }, 'detection pass wrote findings');
      }
    }
    await pending.remove(batch.map((b) => b.member));
    return batch.length;
  }

  async function drain(): Promise<number> {
    running ??= (async () => {
      let total = 0;
      for (;;) {
        const n = await pass();
        total += n;
        if (n === 0 || abort.signal.aborted) return total;
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const loop = (async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        await drain();
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 10 === 0) logger.warn({ err, failures }, 'detection pass failed; files stay pending and are evaluated again');
      }
      // after a failure the full interval, so that a failing pass is not repeated as fast as files arrive
      await (failures === 0 ? idle(intervalMs) : sleep(intervalMs, abort.signal));
    }
  })();

  return {
    async fileIndexed(file) {
      await pending.add(file, now().getTime());
      woken = true;
      wakeUp?.();
    },
    drain,
    async stop() {
      abort.abort();
      await loop;
      await planner.close();
      await lock.release().catch(() => undefined);
    },
  };
}
