import { appendFile, mkdir, rename, stat } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { dirname } from 'node:path';
import type { DestinationConfig } from './alerts-config';
import { signatureOf, slackBody, type Alert } from './alert';

/** How a delivery attempt ended: `retry` for outages, 429 and 5xx; `reject` for answers retrying cannot change. */
export type DeliveryOutcome = { ok: true } | { ok: false; retry: boolean; reason: string };

/**
 * One agent per scheme for every destination: kept-alive connections, so a busy destination costs a request per
 * alert, not a connection. node:http rather than fetch: a profiled sender spent a third of its CPU in fetch's
 * streams, abort signals and request objects, which a plain POST with a small body does not need.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<DeliveryOutcome> {
  const first = await postOnce(url, body, headers, timeoutMs);
  // a kept-alive connection the destination closed as it was reused: sent again at once on a new one (same
  // idempotency key), as Node's documentation advises, rather than counted as an outage
  return first === STALE_CONNECTION ? postOnce(url, body, headers, timeoutMs) : first;
}

const STALE_CONNECTION = { ok: false, retry: true, reason: 'unreachable (ECONNRESET)' } as const;

function postOnce(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<DeliveryOutcome> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ ok: false, retry: false, reason: 'invalid URL' });
      return;
    }
    const scheme = target.protocol === 'https:' ? 'https:' : 'http:';
    let settled = false;
    const done = (outcome: DeliveryOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = (scheme === 'https:' ? https : http).request(
      target,
      { method: 'POST', agent: agents[scheme], headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        const status = res.statusCode ?? 0;
        // the answer's body is read to its end so the connection can carry the next alert
        res.resume();
        res.on('end', () => {
          if (status >= 200 && status < 300) done({ ok: true });
          else done({ ok: false, retry: status === 429 || status >= 500, reason: `answered HTTP ${status}` });
        });
        res.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, retry: true, reason: `unreachable (${err.code ?? err.message})` }));
      },
    );
    // the whole exchange, not only an idle socket, is bounded by the timeout
    const timer = setTimeout(() => {
      done({ ok: false, retry: true, reason: 'unreachable (TimeoutError)' });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNRESET' && req.reusedSocket ? STALE_CONNECTION : { ok: false, retry: true, reason: `unreachable (${err.code ?? err.name})` }));
    req.end(body);
  });
}

async function appendRotated(d: Extract<DestinationConfig, { type: 'file' }>, line: string): Promise<void> {
  await mkdir(dirname(d.path), { recursive: true });
  const size = await stat(d.path).then((s) => s.size, () => 0);
  if (size > 0 && size + Buffer.byteLength(line) > d.maxBytes) {
    for (let i = d.keepFiles - 1; i >= 1; i--) await rename(`${d.path}.${i}`, `${d.path}.${i + 1}`).catch(() => undefined);
    await rename(d.path, `${d.path}.1`);
  }
  await appendFile(d.path, line);
}

/**
 * One attempt to hand `alert` to a destination. Webhook: the alert as JSON, signed (`X-Trailscope-Signature:
 * sha256=<hex HMAC-SHA256 of the body>`) with `Idempotency-Key: <alert id>`; Slack: blocks; file: one NDJSON line.
 */
export async function deliver(d: DestinationConfig, alert: Alert, timeoutMs: number): Promise<DeliveryOutcome> {
  switch (d.type) {
    case 'webhook': {
      const body = JSON.stringify(alert);
      return post(d.url, body, { 'x-trailscope-signature': signatureOf(body, d.secret), 'idempotency-key': alert.id }, timeoutMs);
    }
    case 'slack':
      return post(d.url, JSON.stringify(slackBody(alert)), { 'idempotency-key': alert.id }, timeoutMs);
    case 'file':
      try {
        await appendRotated(d, `${JSON.stringify(alert)}\n`);
        return { ok: true };
      } catch (err) {
        return { ok: false, retry: true, reason: `cannot append: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
      }
  }
}
