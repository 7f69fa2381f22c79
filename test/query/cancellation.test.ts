import { installTemplates } from '@trailscope/indexer';
import { createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { errorCodeOf } from '@trailscope/model';
import { OPAQUE_ID_PREFIX, QUERY_LIMITS, parseSearchRequest, search } from '@trailscope/query';
import { cleanupNamespace, makeConfig, uniqueNamespace, waitFor } from '../support/env';

const EVENTS = 10_000;

interface TaskInfo {
  headers?: Record<string, string>;
  description?: string;
  parent_task_id?: string;
}

/** Search tasks trailscope sent against this namespace, as the tasks API lists them. */
async function ourSearchTasks(client: OpenSearchClient, ns: string): Promise<string[]> {
  const res = await client.tasks.list({ actions: 'indices:data/read/*', detailed: true } as never);
  const nodes = (res.body as { nodes?: Record<string, { tasks?: Record<string, TaskInfo> }> }).nodes ?? {};
  const ids: string[] = [];
  for (const node of Object.values(nodes)) {
    for (const [id, t] of Object.entries(node.tasks ?? {})) {
      if (t.headers?.['X-Opaque-Id']?.startsWith(OPAQUE_ID_PREFIX) && (t.description ?? '').includes(ns)) ids.push(id);
    }
  }
  return ids;
}

/** Events with distinct identities, so that matching names as ARN suffixes has many terms to visit. */
async function seedDistinct(client: OpenSearchClient, config: Config): Promise<void> {
  const index = `${config.names.eventIndexPrefix}2026.03.01`;
  for (let start = 0; start < EVENTS; start += 2500) {
    const body: object[] = [];
    for (let i = start; i < Math.min(EVENTS, start + 2500); i += 1) {
      body.push({ create: { _index: index, _id: `e${i}` } });
      body.push({
        id: `e${i}`,
        eventID: `e${i}`,
        eventTime: new Date(Date.parse('2026-03-01T00:00:00Z') + i * 1000).toISOString(),
        eventName: `Op${i % 300}`,
        eventSource: 's3.amazonaws.com',
        account: '111111111111',
        region: 'us-east-1',
        userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::111111111111:assumed-role/Role${i % 97}/session-${i}`, principalId: `AROA${i}:session-${i}` },
        userAgent: `aws-cli/2.${i} agent-${i}`,
        resources: [{ ARN: `arn:aws:s3:::bucket-${i}`, type: 'AWS::S3::Bucket' }],
        raw: '{}',
      });
    }
    const res = await client.bulk({ body: body as never });
    if ((res.body as { errors: boolean }).errors) throw new Error('seed bulk failed');
  }
  await client.indices.refresh({ index });
}

/**
 * A search given up on (its deadline passed, its client left) does not go on in OpenSearch: the request is aborted
 * and the task cancelled, so the tasks API shows nothing left of it.
 */
describe('search cancellation', () => {
  let ns: string;
  let config: Config;
  let client: OpenSearchClient;

  beforeAll(async () => {
    ns = uniqueNamespace('t-cancel');
    config = makeConfig(ns);
    client = createOpenSearchClient(config);
    await installTemplates(client, config);
    await seedDistinct(client, config);
  });
  afterAll(async () => {
    await cleanupNamespace(client, ns);
    await client.close();
  });

  // the most a request may ask within the cost limits: every name matched as an ARN suffix, every text term
  const heaviest = () =>
    parseSearchRequest({
      users: Array.from({ length: QUERY_LIMITS.suffixValues }, (_, i) => `session-${i}${'x'.repeat(QUERY_LIMITS.suffixValueChars - 12)}`),
      resourceNames: Array.from({ length: QUERY_LIMITS.suffixValues }, (_, i) => `bucket-${i}${'y'.repeat(QUERY_LIMITS.suffixValueChars - 12)}`),
      userAgent: 'z'.repeat(QUERY_LIMITS.userAgentChars),
      text: Array.from({ length: QUERY_LIMITS.textTerms }, (_, i) => `w${i}`).join(' | '),
      pageSize: 1000,
    });

  it('cancels the OpenSearch task of a search whose caller gives up', async () => {
    // The task must be seen running before it is given up on; a search that finishes first is tried again.
    let caught = false;
    for (let attempt = 0; attempt < 10 && !caught; attempt += 1) {
      const controller = new AbortController();
      let settled = false;
      const pending = search(client, config.names, heaviest(), {}, { signal: controller.signal, paginate: false }).then(
        () => 'answered',
        (err: unknown) => errorCodeOf(err),
      );
      void pending.then(() => (settled = true));
      let running: string[] = [];
      while (!settled && running.length === 0) running = await ourSearchTasks(client, ns);
      if (running.length === 0) continue;
      controller.abort();
      const outcome = await pending;
      if (outcome === 'answered') continue;
      caught = true;
      expect(outcome).toBe('TIMEOUT');
      await waitFor(async () => ((await ourSearchTasks(client, ns)).length === 0 ? true : undefined), { timeoutMs: 30_000, what: 'the cancelled task to leave _tasks' });
      expect(await ourSearchTasks(client, ns)).toEqual([]);
    }
    expect(caught).toBe(true);
  });

  it('answers a search past its deadline with TIMEOUT and leaves no task behind', async () => {
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    let err: unknown;
    await search(client, config.names, heaviest(), {}, { signal: controller.signal }).catch((e: unknown) => (err = e));
    expect(errorCodeOf(err)).toBe('TIMEOUT');
    // OpenSearch's own timeout: a search that runs into it is a TIMEOUT, never a short page
    let timedOut: unknown;
    const res = await search(client, config.names, heaviest(), {}, { timeoutMs: 1, paginate: false }).catch((e: unknown) => (timedOut = e));
    if (timedOut === undefined) expect((res as { events: unknown[] }).events).toEqual([]);
    else expect(errorCodeOf(timedOut)).toBe('TIMEOUT');
    await waitFor(async () => ((await ourSearchTasks(client, ns)).length === 0 ? true : undefined), { timeoutMs: 30_000, what: 'no search task left' });
  });
});
