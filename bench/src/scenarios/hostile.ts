import pino from 'pino';
import { buildServer, createKeyStore } from '@trailscope/api';
import { createOpenSearchClient } from '@trailscope/runtime';
import type { Scenario } from '../bench-context';
import { fmtInt, fmtNum, fmtRatio, round } from '../format';
import { percentile } from '../percentile';
import { eventsNamespace } from './console';

const SERVER_KEY = 'bench-hostile-server-key-0123456789abcdef';
/** Loops sending costly requests at once, each as soon as the previous answer arrived. */
const ATTACKERS = 8;
/** An account of the bench data sets (trail-dataset.ts): the attacker's key is scoped to it. */
const ACCOUNT = '111122223333';
const GOAL_MS = 1000;

/** The four requests that held a 1 GiB node at 429 or crashed it before the cost model (the hostile-clients report). */
const COSTLY: Array<{ what: string; path: string; body: string }> = [
  { what: 'a 1ms date_histogram with no range', path: '/v1/aggregations', body: '{"aggs":{"h":{"type":"date_histogram","interval":"1ms"}}}' },
  { what: 'users with 50 values of 2,000 characters', path: '/v1/events', body: JSON.stringify({ users: Array.from({ length: 50 }, (_, i) => `${'u'.repeat(1997)}${String(i).padStart(3, '0')}`) }) },
  {
    what: '10 aggregations of 300 sub-aggregations',
    path: '/v1/aggregations',
    body: JSON.stringify({ aggs: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, { type: 'terms', field: 'account', aggs: Object.fromEntries(Array.from({ length: 300 }, (_, j) => [`s${j}`, { type: 'cardinality', field: 'eventName' }])) }])) }),
  },
  { what: 'text with 56 fuzzy ~2 terms', path: '/v1/events', body: JSON.stringify({ text: Array.from({ length: 56 }, (_, i) => `word${i}~2`).join(' ') }) },
];

/**
 * The API under hostile requests: how fast each request over a cost limit is refused, and what a stream of them
 * does to a normal search of another key, against that search alone. The server and OpenSearch are real; per-key
 * rate and concurrency limits are off, so nothing but the cost model stands between the requests and the cluster.
 */
export const hostileScenario: Scenario = {
  id: 'hostile',
  title: 'hostile clients: costly requests refused, normal searches served meanwhile',
  async run(ctx, out) {
    const { config, events, source } = await eventsNamespace(ctx, 'hostile');
    const client = createOpenSearchClient(config);
    const keys = createKeyStore(client, config.names, SERVER_KEY);
    const app = buildServer({ client, names: config.names, keys, logger: pino({ level: 'silent' }), serverKey: SERVER_KEY, keyLimits: { ratePerWindow: 0, windowMs: 60_000, maxConcurrent: 0 } });
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const attacker = await keys.create({ name: 'bench-attacker', accounts: [ACCOUNT] });
      const analyst = await keys.create({ name: 'bench-analyst' });
      const post = async (key: { id: string; secret: string }, path: string, body: string): Promise<{ status: number; code?: string; count?: number; ms: number }> => {
        const t0 = performance.now();
        const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key.id}.${key.secret}`, 'content-type': 'application/json' }, body });
        const json = (await res.json()) as { error?: { code?: string }; events?: unknown[] };
        return { status: res.status, code: json.error?.code, count: json.events?.length, ms: performance.now() - t0 };
      };
      const normalBody = JSON.stringify({ accounts: [ACCOUNT], pageSize: 100 });
      const normal = async (): Promise<number> => {
        const r = await post(analyst, '/v1/events', normalBody);
        if (r.status !== 200 || r.count !== 100) throw new Error(`the normal search answered ${r.status} with ${r.count ?? 0} events`);
        return r.ms;
      };
      const reps = ctx.options.sizes.queryRepetitions;
      for (let i = 0; i < 5; i += 1) await normal();
      for (const c of COSTLY) await post(attacker, c.path, c.body);

      const alone: number[] = [];
      for (let i = 0; i < reps; i += 1) alone.push(await normal());

      const refusedMs: number[] = [];
      const wrong: string[] = [];
      let stop = false;
      const attack = async (offset: number): Promise<void> => {
        for (let i = offset; !stop; i += 1) {
          const c = COSTLY[i % COSTLY.length]!;
          const r = await post(attacker, c.path, c.body);
          if (r.status === 400 && r.code === 'QUERY_TOO_COSTLY') refusedMs.push(r.ms);
          else wrong.push(`${c.what}: ${r.status} ${r.code ?? ''}`);
        }
      };
      const attackers = Array.from({ length: ATTACKERS }, (_, i) => attack(i));
      const underAttack: number[] = [];
      try {
        for (let i = 0; i < reps; i += 1) underAttack.push(await normal());
      } finally {
        stop = true;
        await Promise.all(attackers);
      }
      if (wrong.length > 0) throw new Error(`costly requests not refused with QUERY_TOO_COSTLY: ${wrong.slice(0, 3).join('; ')}`);
      const health = (await client.cluster.health({ timeout: '10s' } as never)).body as { status: string; number_of_nodes: number };
      if (health.status === 'red') throw new Error(`OpenSearch is red after the costly requests`);

      const p = (s: number[], q: number) => percentile(s, q);
      out.data = { 'events in the index': events, 'costly requests sent': refusedMs.length, 'attacking loops': ATTACKERS, 'normal searches per phase': reps, 'cluster status after': health.status };
      out.method.push(
        `The real API server (in the bench process) over ${source}, per-key rate and concurrency limits off. The attacker's key is scoped to account ${ACCOUNT}; the normal search is another key's newest 100 events of that account (POST /v1/events).`,
        `Costly requests: ${COSTLY.map((c) => c.what).join('; ')}, sent round robin by ${ATTACKERS} loops at once, each as soon as its previous answer arrived; every answer must be 400 QUERY_TOO_COSTLY. Their latency is from the request to the parsed error.`,
        `Normal search: ${reps} requests one after the other, alone, then the same while the attack runs. Afterwards the cluster health must not be red.`,
      );
      out.figures = {
        refused: { p50Ms: round(p(refusedMs, 50)), p95Ms: round(p(refusedMs, 95)), maxMs: round(Math.max(...refusedMs)), count: refusedMs.length },
        normalAlone: { p50Ms: round(p(alone, 50)), p95Ms: round(p(alone, 95)), maxMs: round(Math.max(...alone)) },
        normalUnderAttack: { p50Ms: round(p(underAttack, 50)), p95Ms: round(p(underAttack, 95)), maxMs: round(Math.max(...underAttack)) },
      };
      const refusedRatio = p(refusedMs, 95) / p(alone, 95);
      out.rows.push({
        scenario: 'hostile',
        name: `costly requests refused (the four crashing requests, ${ATTACKERS} loops at once, ${fmtInt(refusedMs.length)} requests)`,
        ours: { value: p(refusedMs, 95), unit: 'ms', text: `p50 ${fmtNum(p(refusedMs, 50))} ms, p95 ${fmtNum(p(refusedMs, 95))} ms, all 400 QUERY_TOO_COSTLY` },
        baseline: { value: p(alone, 95), unit: 'ms', text: `p50 ${fmtNum(p(alone, 50))} ms, p95 ${fmtNum(p(alone, 95))} ms`, what: 'a normal first-page search alone' },
        ratio: refusedRatio,
        ratioMeaning: 'refusal p95 ÷ normal search p95',
        goal: `every one refused, p95 < ${fmtInt(GOAL_MS)} ms`,
        met: p(refusedMs, 95) < GOAL_MS,
      });
      const attackRatio = p(underAttack, 95) / p(alone, 95);
      out.rows.push({
        scenario: 'hostile',
        name: 'a normal search of another key while the costly requests are refused',
        ours: { value: p(underAttack, 95), unit: 'ms', text: `p50 ${fmtNum(p(underAttack, 50))} ms, p95 ${fmtNum(p(underAttack, 95))} ms; cluster ${health.status} after` },
        baseline: { value: p(alone, 95), unit: 'ms', text: `p50 ${fmtNum(p(alone, 50))} ms, p95 ${fmtNum(p(alone, 95))} ms`, what: 'the same search with no attack' },
        ratio: attackRatio,
        ratioMeaning: `under attack ÷ alone p95 (${fmtRatio(attackRatio)}×)`,
        goal: `p95 < ${fmtInt(GOAL_MS)} ms, cluster not red`,
        met: p(underAttack, 95) < GOAL_MS,
      });
    } finally {
      await app.close();
      await client.close();
    }
  },
};
