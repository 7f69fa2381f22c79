import { appendFile, mkdir, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DestinationConfig } from './alerts-config';
import { signatureOf, slackBody, type Alert } from './alert';

/** How a delivery attempt ended: `retry` for outages, 429 and 5xx; `reject` for answers retrying cannot change. */
export type DeliveryOutcome = { ok: true } | { ok: false; retry: boolean; reason: string };

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<DeliveryOutcome> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    return { ok: false, retry: true, reason: `unreachable (${cause})` };
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const retry = res.status === 429 || res.status >= 500;
  return { ok: false, retry, reason: `answered HTTP ${res.status}` };
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
