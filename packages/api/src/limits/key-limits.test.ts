import Fastify, { type FastifyInstance } from 'fastify';
import { errorCodeOf } from '@trailscope/model';
import { registerKeyLimits } from './key-limits';

/** A real server whose one route admits the key named in a header, then waits until the test lets it answer. */
async function holdingServer(limits: Parameters<typeof registerKeyLimits>[1]) {
  const app: FastifyInstance = Fastify();
  const keyLimits = registerKeyLimits(app, limits);
  const waiting: Array<() => void> = [];
  let entered = 0;
  const enteredWaiters: Array<() => void> = [];
  app.setErrorHandler((err, _request, reply) => reply.status(errorCodeOf(err) === 'RATE_LIMITED' ? 429 : 500).send({ code: errorCodeOf(err), message: (err as Error).message }));
  app.get('/hold', async (request, reply) => {
    await keyLimits.admit(request, reply, String(request.headers['x-key']));
    entered += 1;
    enteredWaiters.splice(0).forEach((w) => w());
    await new Promise<void>((resolve) => waiting.push(resolve));
    return { ok: true };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const call = (key: string) => fetch(`${url}/hold`, { headers: { 'x-key': key } }).then(async (r) => ({ status: r.status, json: (await r.json()) as { code?: string; message?: string } }));
  const untilEntered = async (n: number) => {
    while (entered < n) await new Promise<void>((resolve) => enteredWaiters.push(resolve));
  };
  const releaseAll = () => waiting.splice(0).forEach((r) => r());
  return { app, call, untilEntered, releaseAll };
}

describe('per-key concurrency limit', () => {
  it('refuses a key a request beyond its concurrent budget while another key is served, and gives the slot back', async () => {
    const s = await holdingServer({ ratePerWindow: 0, windowMs: 60_000, maxConcurrent: 1 });
    try {
      const first = s.call('k1');
      await s.untilEntered(1);
      const refused = await s.call('k1');
      expect(refused.status).toBe(429);
      expect(refused.json).toMatchObject({ code: 'RATE_LIMITED', message: 'concurrency: at most 1 requests at once for this API key' });
      const other = s.call('k2');
      await s.untilEntered(2);
      s.releaseAll();
      expect((await first).status).toBe(200);
      expect((await other).status).toBe(200);
      const again = s.call('k1');
      await s.untilEntered(3);
      s.releaseAll();
      expect((await again).status).toBe(200);
    } finally {
      s.releaseAll();
      await s.app.close();
    }
  });

  it('counts the rate per key with the plugin and answers RATE_LIMITED naming the limit', async () => {
    const s = await holdingServer({ ratePerWindow: 2, windowMs: 60_000, maxConcurrent: 0 });
    try {
      for (let i = 0; i < 2; i += 1) {
        const p = s.call('a');
        await s.untilEntered(i + 1);
        s.releaseAll();
        expect((await p).status).toBe(200);
      }
      const over = await s.call('a');
      expect(over.status).toBe(429);
      expect(over.json.message).toMatch(/^rate: at most 2 requests per 60 s/);
      const b = s.call('b');
      await s.untilEntered(3);
      s.releaseAll();
      expect((await b).status).toBe(200);
    } finally {
      s.releaseAll();
      await s.app.close();
    }
  });
});
