import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Alert } from './alert';
import { signatureOf } from './alert';
import type { DestinationConfig } from './alerts-config';
import { deliver } from './deliver';

const alert: Alert = {
  id: 'a-0001',
  kind: 'alert',
  ruleId: 'r-1',
  ruleTitle: 'Probe',
  level: 'high',
  tags: [],
  findingId: 'f-1',
  findingUrl: 'http://127.0.0.1/v1/findings/f-1',
  eventTime: '2026-03-10T00:00:00Z',
  eventIds: ['e-1'],
  count: 1,
  more: 0,
};

interface Seen {
  socket: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real HTTP server on a free port; `answer` decides each exchange (the number of the request on its connection given). */
async function server(answer: (req: http.IncomingMessage, res: http.ServerResponse, nthOnSocket: number) => void) {
  const seen: Seen[] = [];
  const sockets = new Map<Socket, { id: number; n: number }>();
  const srv = http.createServer((req, res) => {
    let s = sockets.get(req.socket);
    if (!s) sockets.set(req.socket, (s = { id: sockets.size + 1, n: 0 }));
    s.n++;
    const n = s.n;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ socket: s.id, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(req, res, n);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    seen,
    close: () => {
      srv.closeAllConnections();
      return new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

const hook = (url: string): DestinationConfig => ({ name: 'h', type: 'webhook', url, secret: 's3cret-0123456789' });

describe('webhook delivery over HTTP', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  });

  it('POSTs the signed alert with its idempotency key, over one kept-alive connection', async () => {
    const s = await server((_req, res) => res.writeHead(204).end());
    closers.push(s.close);
    for (let i = 0; i < 3; i++) expect(await deliver(hook(s.url), alert, 5000)).toEqual({ ok: true });
    expect(s.seen.map((r) => r.socket)).toEqual([1, 1, 1]);
    const body = JSON.stringify(alert);
    expect(s.seen[0]).toMatchObject({ body, headers: { 'content-type': 'application/json', 'idempotency-key': 'a-0001', 'x-trailscope-signature': signatureOf(body, 's3cret-0123456789') } });
  });

  it('sends again at once, on a new connection, when the destination drops a reused one', async () => {
    // the second request on any connection finds it closed, as when a server's keep-alive timeout races a reuse
    const s = await server((req, res, n) => (n === 2 ? req.socket.destroy() : res.writeHead(200).end('ok')));
    closers.push(s.close);
    expect(await deliver(hook(s.url), alert, 5000)).toEqual({ ok: true });
    expect(await deliver(hook(s.url), alert, 5000)).toEqual({ ok: true });
    expect(s.seen.map((r) => r.socket)).toEqual([1, 1, 2]);
    expect(new Set(s.seen.map((r) => r.headers['idempotency-key']))).toEqual(new Set(['a-0001']));
  });

  it('retries 429 and 5xx; refuses other answers, redirects included, without following them', async () => {
    const statuses = [429, 503, 404, 302];
    const s = await server((_req, res) => res.writeHead(statuses[s.seen.length - 1]!, { location: 'http://127.0.0.1:1/' }).end());
    closers.push(s.close);
    const outcomes = [];
    for (let i = 0; i < statuses.length; i++) outcomes.push(await deliver(hook(s.url), alert, 5000));
    expect(outcomes).toEqual([
      { ok: false, retry: true, reason: 'answered HTTP 429' },
      { ok: false, retry: true, reason: 'answered HTTP 503' },
      { ok: false, retry: false, reason: 'answered HTTP 404' },
      { ok: false, retry: false, reason: 'answered HTTP 302' },
    ]);
    expect(s.seen).toHaveLength(4);
  });

  it('bounds a destination that never answers by the timeout, and reports one that is down as unreachable', async () => {
    const s = await server(() => undefined);
    closers.push(s.close);
    expect(await deliver(hook(s.url), alert, 300)).toEqual({ ok: false, retry: true, reason: 'unreachable (TimeoutError)' });
    const down = await server(() => undefined);
    await down.close();
    expect(await deliver(hook(down.url), alert, 5000)).toEqual({ ok: false, retry: true, reason: 'unreachable (ECONNREFUSED)' });
  });
});
