import { createBulkWriter } from '@trailscope/indexer';
import { createLogger, createOpenSearchClient, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, makeConfig, runCli, uniqueNamespace } from '../support/env';

describe('trailscope setup and dlq', () => {
  const namespace = uniqueNamespace('t-idx-cli');
  const config = makeConfig(namespace);
  const env = { TRAILSCOPE_NAMESPACE: namespace };
  let client: OpenSearchClient;

  beforeAll(() => {
    client = createOpenSearchClient(config);
  });
  afterAll(async () => {
    await cleanupNamespace(client, namespace);
    await client.close();
  });

  it('setup installs once and reports the same on a second run', async () => {
    const first = await runCli(['setup', '--json', '--retention-days', '400'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout.trim());
    expect(report).toMatchObject({
      namespace,
      eventTemplate: { name: `${namespace}-events-template`, indexPattern: `${namespace}-events-*`, alias: `${namespace}-events` },
      deadLetterIndex: { name: `${namespace}-deadletter`, created: true },
      filesIndex: { name: `${namespace}-files`, created: true },
      retention: { retentionDays: 400, deletedIndices: [] },
    });
    const second = await runCli(['setup'], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`index template ${namespace}-events-template (version`);
    expect(second.stdout).toContain(`dead-letter index ${namespace}-deadletter already present`);
    expect(second.stdout).toContain(`file ledger ${namespace}-files already present`);
    expect(second.stdout).toContain('retention disabled');
  });

  it('dlq lists dead-lettered records with code, reason, file and raw text', async () => {
    expect((await runCli(['dlq'], { env })).stdout).toBe('no dead-lettered records\n');
    const writer = createBulkWriter({ client, config, logger: createLogger({ level: 'silent' }), refresh: 'wait_for' });
    const raw = '{"eventTime":"2026-03-01T00:00:00Z","note":"caf\\u00e9"}';
    await writer.deadLetter({ raw, code: 'RECORD_INVALID', reason: 'record has no eventSource', bucket: 'b1', key: 'AWSLogs/k1.json.gz', etag: 'e1' });
    await writer.deadLetter({ raw: '[1]', code: 'RECORD_INVALID', reason: 'record is an array, not an object', bucket: 'b1', key: 'AWSLogs/k2.json.gz', etag: 'e2' });
    await writer.flush();

    const json = await runCli(['dlq', '--json'], { env });
    expect(json.code).toBe(0);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'RECORD_INVALID', reason: 'record has no eventSource', bucket: 'b1', key: 'AWSLogs/k1.json.gz', etag: 'e1', raw }),
      ]),
    );
    const limited = await runCli(['dlq', '--limit', '1'], { env });
    expect(limited.stdout).toContain('2 dead-lettered records (showing 1)');
    expect(limited.stdout).toMatch(/RECORD_INVALID {2}s3:\/\/b1\/AWSLogs\/k[12]\.json\.gz/);
  });

  it('rejects a bad --limit as a usage error', async () => {
    const res = await runCli(['dlq', '--limit', 'zero'], { env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--limit');
  });
});
