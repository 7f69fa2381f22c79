import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { durationMs, exceptedCounts, listOverflowed, loadAlerts, markDelivery, requeueOverflowed, muteRule, startAlertSender, storeAlerts, tailStreamKey } from '@trailscope/alerts';
import { TrailscopeError } from '@trailscope/model';
import { createAlertQueue, listFailedAlerts, retryFailedAlerts, type FailedAlert } from '@trailscope/queue';
import { createLogger, createOpenSearchClient, createRedis, createShutdown, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { configFrom } from '../context';

async function requireAlerts(client: OpenSearchClient, config: Config) {
  const loaded = await loadAlerts(client, config.names, { file: config.alerts.file, serverKey: config.api.serverKey });
  if (!loaded) throw new TrailscopeError('CONFIG_INVALID', 'no alerts configuration: run `trailscope alerts apply FILE` or set TRAILSCOPE_ALERTS_FILE');
  return loaded;
}

function addApply(alerts: Command): void {
  alerts
    .command('apply')
    .description('validate an alerts file (destinations, routes, throttles, exceptions) and store it; detection and senders pick it up within 30 s')
    .argument('<file>', 'YAML alerts file')
    .option('--json', 'print {"destinations","routes","throttles","exceptions","version"}')
    .action(async (file: string, opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new TrailscopeError('CONFIG_INVALID', `${file}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
      }
      const client = createOpenSearchClient(config);
      try {
        const loaded = await storeAlerts(client, config.names, text, file, config.api.serverKey);
        const c = loaded.config;
        const summary = { destinations: c.destinations.length, routes: c.routes.length, throttles: c.throttles.length, exceptions: c.exceptions.length, version: loaded.version };
        process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `applied ${file}: ${summary.destinations} destinations (${c.destinations.map((d) => `${d.name}: ${d.type}`).join(', ')}), ${summary.routes} routes, ${summary.throttles} throttles, ${summary.exceptions} exceptions (version ${summary.version})\n`);
      } finally {
        await client.close();
      }
    });
}

function addSend(alerts: Command): void {
  alerts
    .command('send')
    .description('deliver queued alerts to every destination until stopped (one queue per destination, retries with backoff)')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = configFrom(cmd);
      const logger = createLogger({ level: config.logLevel, name: 'alerts' });
      const opensearch = createOpenSearchClient(config);
      const redis = createRedis(config);
      const loaded = await requireAlerts(opensearch, config);
      const connection = createRedis(config);
      const sender = startAlertSender({ opensearch, redis, connection, names: config.names, logger }, loaded.config);
      logger.info({ destinations: loaded.config.destinations.map((d) => d.name), version: loaded.version }, 'alert sender started');
      await new Promise<void>((resolve) => {
        const shutdown = createShutdown(0);
        shutdown.add(async () => {
          connection.disconnect();
          redis.disconnect();
          await opensearch.close();
          resolve();
        });
        shutdown.add(() => sender.close());
        shutdown.listen();
      });
    });
}

function addFailed(alerts: Command): void {
  alerts
    .command('failed')
    .description('list dead-lettered alerts (refused, or not delivered within the retry time) per destination; --retry queues them again')
    .option('--json', 'one JSON object per alert: destination, jobId, alertId, ruleId, reason, attempts, failedAt')
    .option('--retry', 'move every dead-lettered alert back to its queue with a fresh retry time')
    .action(async (opts: { json?: boolean; retry?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const opensearch = createOpenSearchClient(config);
      const redis = createRedis(config);
      try {
        const loaded = await requireAlerts(opensearch, config);
        const all: FailedAlert[] = [];
        let retried = 0;
        for (const d of loaded.config.destinations) {
          const queue = createAlertQueue(config, d.name, redis);
          try {
            if (opts.retry) {
              const failed = await listFailedAlerts(queue, d.name);
              retried += await retryFailedAlerts(queue);
              for (const f of failed) await markDelivery(opensearch, config.names, d.name, f.jobId, 'queued');
              retried += await requeueOverflowed(opensearch, config.names, d.name, queue);
            } else {
              all.push(...(await listFailedAlerts(queue, d.name)));
              for (const o of await listOverflowed(opensearch, config.names, d.name)) {
                all.push({ destination: d.name, jobId: o.jobId, data: o.data, reason: `not queued: ${d.name} already held delivery.maxQueued alerts`, attempts: 0, failedAt: o.at });
              }
            }
          } finally {
            await queue.close();
          }
        }
        if (opts.retry) {
          process.stdout.write(opts.json ? `${JSON.stringify({ retried })}\n` : `${retried} alert(s) queued again\n`);
          return;
        }
        let listed = 0;
        for (const f of all) {
          // a job holds one alert, a summary's, or a pass's alerts for the destination: one line per alert
          const held = Array.isArray(f.data.alerts) ? (f.data.alerts as unknown[]) : [f.data.alert ?? (f.data.summary as { alert?: unknown } | undefined)?.alert ?? {}];
          for (const a of held) {
            const alert = a as { id?: string; ruleId?: string };
            const line = { destination: f.destination, jobId: f.jobId, alertId: alert.id, ruleId: alert.ruleId, reason: f.reason, attempts: f.attempts, failedAt: f.failedAt };
            process.stdout.write(opts.json ? `${JSON.stringify(line)}\n` : `${f.failedAt ?? '-'}  ${f.destination}  ${alert.ruleId ?? '-'}  ${alert.id ?? f.jobId}  ${f.reason}\n`);
            listed++;
          }
        }
        if (!opts.json) process.stdout.write(listed === 0 ? 'no dead-lettered alerts\n' : `${listed} dead-lettered alert(s)\n`);
      } finally {
        redis.disconnect();
        await opensearch.close();
      }
    });
}

function addMute(alerts: Command): void {
  alerts
    .command('mute')
    .description('stop alerts of a rule (or of one group key or principal of it) for a while; findings are still recorded')
    .argument('<rule>', 'rule id')
    .option('--key <key>', 'only this group key (`field=value, ...` of a throttled rule) or principal')
    .requiredOption('--for <duration>', 'how long, such as 30m, 24h or 7d')
    .requiredOption('--reason <text>', 'why (shown with the mute)')
    .option('--by <name>', 'who')
    .option('--json', 'print the mute as JSON')
    .action(async (rule: string, opts: { key?: string; for: string; reason: string; by?: string; json?: boolean }, cmd: Command) => {
      const ms = durationMs(opts.for);
      if (ms === undefined) throw new TrailscopeError('USAGE', `--for: "${opts.for}" is not a duration such as 30m, 24h or 7d`);
      if (opts.reason.trim() === '') throw new TrailscopeError('USAGE', '--reason: must not be empty');
      const config = configFrom(cmd);
      const client = createOpenSearchClient(config);
      try {
        const mute = { ruleId: rule, key: opts.key, untilMs: Date.now() + ms, reason: opts.reason.trim(), by: opts.by };
        await muteRule(client, config.names, mute);
        const until = new Date(mute.untilMs).toISOString();
        process.stdout.write(opts.json ? `${JSON.stringify({ ...mute, until })}\n` : `muted ${rule}${opts.key ? ` (key ${opts.key})` : ''} until ${until}\n`);
      } finally {
        await client.close();
      }
    });
}

function addTail(alerts: Command): void {
  alerts
    .command('tail')
    .description('print alerts as they are queued, one JSON object per line, until stopped')
    .option('--all', 'first print the recent alerts kept (the last 10,000 or so)')
    .action(async (opts: { all?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const redis = createRedis(config);
      let stop = false;
      const shutdown = createShutdown(0);
      shutdown.add(() => {
        stop = true;
        redis.disconnect();
      });
      shutdown.listen();
      let last = opts.all ? '0' : '$';
      while (!stop) {
        let res: Array<[string, Array<[string, string[]]>]> | null;
        try {
          res = (await redis.xread('COUNT', 100, 'BLOCK', 5000, 'STREAMS', tailStreamKey(config.names), last)) as typeof res;
        } catch (err) {
          if (stop) break;
          throw err;
        }
        for (const [, entries] of res ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            const i = fields.indexOf('alert');
            if (i >= 0) process.stdout.write(`${fields[i + 1]}\n`);
          }
        }
      }
    });
}

export function registerAlertsCommand(program: Command): void {
  const alerts = program.command('alerts').description('alert destinations, routing, mutes and delivery');
  for (const add of [addApply, addSend, addFailed, addMute, addTail]) add(alerts);
}

/** `rules stats`: findings and excepted matches per rule, so an exception that hides everything shows. */
export function addRulesStatsCommand(rules: Command): void {
  rules
    .command('stats')
    .description('per rule: findings recorded (open and total) and matches hidden by exceptions')
    .option('--json', 'one JSON object per rule: ruleId, findings, open, excepted')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const client = createOpenSearchClient(config);
      try {
        const excepted = await exceptedCounts(client, config.names);
        const res = await client.search(
          {
            index: config.names.findingsIndex,
            body: { size: 0, aggs: { rules: { terms: { field: 'ruleId', size: 10_000 }, aggs: { open: { filter: { term: { status: 'open' } } } } } } } as never,
          },
          { ignore: [404] },
        );
        const buckets = (res.body as { aggregations?: { rules: { buckets: Array<{ key: string; doc_count: number; open: { doc_count: number } }> } } }).aggregations?.rules.buckets ?? [];
        const rows = new Map<string, { ruleId: string; findings: number; open: number; excepted: number }>();
        for (const b of buckets) rows.set(b.key, { ruleId: b.key, findings: b.doc_count, open: b.open.doc_count, excepted: 0 });
        for (const [ruleId, n] of excepted) rows.set(ruleId, { ...(rows.get(ruleId) ?? { ruleId, findings: 0, open: 0 }), excepted: n });
        const sorted = [...rows.values()].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
        for (const r of sorted) process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : `${r.ruleId}  findings ${r.findings} (open ${r.open})  excepted ${r.excepted}\n`);
        if (!opts.json && sorted.length === 0) process.stdout.write('no findings and no excepted matches\n');
      } finally {
        await client.close();
      }
    });
}
