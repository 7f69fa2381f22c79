import { connect, type Socket } from 'node:net';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { OPAQUE_ID_PREFIX } from '@trailscope/query';
import { waitFor } from '../support/env';
import { seedStore, standardTrail, type SeededStore } from '../query/support/seed';
import { startTestApi, type TestApi } from './support/api-server';

interface Json {
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const BUDGET = 3;

/** Per-key budgets and socket timeouts of the real server. */
describe('API limits', () => {
  let store: SeededStore;
  let api: TestApi;

  beforeAll(async () => {
    store = await seedStore('t-limits', standardTrail(5));
    api = await startTestApi(store, {
      keyLimits: { ratePerWindow: BUDGET, windowMs: 10 * 60_000, maxConcurrent: 0 },
      timeouts: { requestTimeoutMs: 400, keepAliveTimeoutMs: 1000 },
    });
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
  });

  async function search(token: string): Promise<{ status: number; json: Json; headers: Headers }> {
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pageSize: 5 }),
    });
    return { status: res.status, json: (await res.json()) as Json, headers: res.headers };
  }

  it('answers 429 RATE_LIMITED to a key over its budget while another key is served normally', async () => {
    const a = await api.keys.create({ name: 'busy' });
    const b = await api.keys.create({ name: 'quiet' });
    const busy = `${a.id}.${a.secret}`;
    const quiet = `${b.id}.${b.secret}`;
    for (let i = 0; i < BUDGET; i += 1) expect((await search(busy)).status).toBe(200);
    const over = await search(busy);
    expect(over.status).toBe(429);
    expect(over.json.error.code).toBe('RATE_LIMITED');
    expect(over.json.error.message).toMatch(/^rate: at most 3 requests per 600 s for this API key/);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    const served = await search(quiet);
    expect(served.status).toBe(200);
    expect(served.json.events).toHaveLength(5);
    // the same budget on LookupEvents, answered as AWS does
    const sdk = new CloudTrailClient({ endpoint: api.url, region: 'us-east-1', credentials: { accessKeyId: a.id, secretAccessKey: a.secret }, maxAttempts: 1 });
    const err = await sdk.send(new LookupEventsCommand({ MaxResults: 1 })).then(
      () => undefined,
      (e: { name?: string }) => e,
    );
    expect(err?.name).toBe('ThrottlingException');
    const quietSdk = new CloudTrailClient({ endpoint: api.url, region: 'us-east-1', credentials: { accessKeyId: b.id, secretAccessKey: b.secret }, maxAttempts: 1 });
    expect((await quietSdk.send(new LookupEventsCommand({ MaxResults: 1 }))).Events).toHaveLength(1);
  });

  it('does not spend a key\'s budget on requests that fail authentication', async () => {
    const k = await api.keys.create({ name: 'victim' });
    for (let i = 0; i < BUDGET + 2; i += 1) expect((await search(`${k.id}.wrong-secret`)).status).toBe(401);
    expect((await search(`${k.id}.${k.secret}`)).status).toBe(200);
  });

  function closed(socket: Socket): Promise<string> {
    return new Promise((resolve) => {
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString('utf8')));
      socket.on('close', () => resolve(answer));
      socket.on('error', () => undefined);
    });
  }

  it('closes a connection that trickles its request', async () => {
    const { hostname, port } = new URL(api.url);
    const socket = connect(Number(port), hostname);
    const done = closed(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /v1/health HTTP/1.1\r\nHost: x\r\n');
    // one header byte at a time, never finishing: the request can never complete, whatever the pace
    let sent = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(sent++ % 2 === 0 ? 'X' : '-');
    }, 100);
    try {
      const answer = await done;
      expect(socket.destroyed).toBe(true);
      // Node answers a request that ran out of time with 408 before closing, or just closes
      if (answer !== '') expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
    }
  });

  it('answers a search past its deadline with 504 TIMEOUT and leaves no search task in OpenSearch', async () => {
    const hurried = await startTestApi(store, { timeouts: { searchTimeoutMs: 1 } });
    try {
      const k = await hurried.keys.create({ name: 'hurried' });
      const res = await fetch(`${hurried.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k.id}.${k.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'GetObject | PutObject | DeleteBucket', pageSize: 1000 }),
      });
      expect(res.status).toBe(504);
      expect(((await res.json()) as Json).error.code).toBe('TIMEOUT');
      const left = async () => {
        const tasks = await store.client.tasks.list({ actions: 'indices:data/read/*', detailed: true } as never);
        const nodes = (tasks.body as { nodes?: Record<string, { tasks?: Record<string, { headers?: Record<string, string>; description?: string }> }> }).nodes ?? {};
        return Object.values(nodes).flatMap((n) => Object.values(n.tasks ?? {})).filter((t) => t.headers?.['X-Opaque-Id']?.startsWith(OPAQUE_ID_PREFIX) && (t.description ?? '').includes(store.ns));
      };
      await waitFor(async () => ((await left()).length === 0 ? true : undefined), { timeoutMs: 30_000, what: 'no search task of the namespace left' });
    } finally {
      await hurried.close();
    }
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const { hostname, port } = new URL(api.url);
    const socket = connect(Number(port), hostname);
    const done = closed(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    const answer = await done;
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toMatch(/keep-alive: timeout=1/i);
  });
});
