import { installTemplates } from '@trailscope/indexer';
import { indexNameFor } from '@trailscope/model';
import { createLogger, createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import { startRetentionSweeper, type RetentionSweeper } from '@trailscope/worker';
import { cleanupNamespace, makeConfig, uniqueNamespace, waitFor } from '../support/env';

const INTERVAL_MS = 300;

describe('worker retention sweeper', () => {
  const namespace = uniqueNamespace('t-retain');
  const probeNamespace = uniqueNamespace('t-retain-probe');
  const config = makeConfig(namespace, { TRAILSCOPE_RETENTION_DAYS: 30 });
  const logger = createLogger({ level: 'silent' });
  let client: OpenSearchClient;
  const sweepers: RetentionSweeper[] = [];
  const exists = async (index: string): Promise<boolean> => (await client.indices.exists({ index })).body;

  beforeAll(async () => {
    client = createOpenSearchClient(config);
    await installTemplates(client, config);
  });
  afterEach(() => {
    for (const s of sweepers.splice(0)) s.stop();
  });
  afterAll(async () => {
    await cleanupNamespace(client, namespace);
    await cleanupNamespace(client, probeNamespace);
    await client.close();
  });

  /**
   * Waits until a sweeper with retention, started now, has deleted an index from a timer tick: an index created
   * after its first sweep resolved can only go through the timer. Proves that at least one interval went by.
   */
  async function waitForOneTimerSweep(ns: string, expiredAt: string): Promise<void> {
    const probeConfig = makeConfig(ns, { TRAILSCOPE_RETENTION_DAYS: 30 });
    const probe = startRetentionSweeper({ opensearch: client, config: probeConfig, logger }, { intervalMs: INTERVAL_MS });
    sweepers.push(probe);
    await probe.sweep();
    const index = indexNameFor(expiredAt, ns);
    await client.indices.create({ index });
    await waitFor(async () => !(await exists(index)), { timeoutMs: 60_000, what: `the timer to delete ${index}` });
  }

  it('deletes event indices whose period ended before retention, again on its own timer, and keeps recent ones', async () => {
    const now = new Date();
    const expired = indexNameFor('2020-01-15T00:00:00Z', namespace);
    const recent = indexNameFor(new Date(now.getTime() - 2 * 86_400_000), namespace);
    await client.indices.create({ index: expired });
    await client.indices.create({ index: recent });

    const sweeper = startRetentionSweeper({ opensearch: client, config, logger }, { intervalMs: INTERVAL_MS });
    sweepers.push(sweeper);
    // the sweep started with the sweeper (joined here) or a fresh one deletes the expired index
    await sweeper.sweep();
    expect(await exists(expired)).toBe(false);

    // no sweep is called from here: only the timer can delete an index expired after the first sweep
    const expiredLater = indexNameFor('2020-02-20T00:00:00Z', namespace);
    await client.indices.create({ index: expiredLater });
    await waitFor(async () => !(await exists(expiredLater)), { timeoutMs: 60_000, what: `the timer to delete ${expiredLater}` });

    expect(await sweeper.sweep()).toEqual([]);
    expect(await exists(recent)).toBe(true);
  });

  it('deletes nothing when retention is not configured, by its sweeps nor by its timer', async () => {
    const keepAll = makeConfig(namespace, { TRAILSCOPE_RETENTION_DAYS: 0 });
    const old = indexNameFor('2019-06-01T00:00:00Z', namespace);
    await client.indices.create({ index: old });

    const sweeper = startRetentionSweeper({ opensearch: client, config: keepAll, logger }, { intervalMs: INTERVAL_MS });
    sweepers.push(sweeper);
    expect(await sweeper.sweep()).toEqual([]);
    expect(await exists(old)).toBe(true);

    // a sweeper started after it with the same interval has swept from its timer, so this one's timer (if it had one)
    // has fired too; any sweep it started is joined by sweep()
    await waitForOneTimerSweep(probeNamespace, '2020-01-15T00:00:00Z');
    expect(await sweeper.sweep()).toEqual([]);
    expect(await exists(old)).toBe(true);
  });
});
