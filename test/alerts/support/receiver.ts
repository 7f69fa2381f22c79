import { createHmac, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';

export interface Received {
  path: string;
  idempotencyKey: string;
  signatureValid: boolean;
  body: Record<string, unknown>;
  status: number;
}

/**
 * A real HTTP receiver for alert deliveries. It can be down (not listening), answer 503 to the next N requests,
 * answer a fixed status on a path, and hold responses; it verifies the HMAC signature of every request itself.
 */
export class AlertReceiver {
  readonly received: Received[] = [];
  private server: http.Server | undefined;
  fail503 = 0;
  holdMs = 0;
  readonly statusByPath = new Map<string, number>();
  /** A fixed answer to one alert (by idempotency key), whatever the path. */
  readonly statusByKey = new Map<string, number>();

  constructor(
    readonly port: number,
    private readonly secret: string,
  ) {}

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** 2xx answers, counted once per idempotency key. */
  acceptedKeys(path: string): Set<string> {
    return new Set(this.received.filter((r) => r.path === path && r.status < 300).map((r) => r.idempotencyKey));
  }

  accepted(path: string): Received[] {
    return this.received.filter((r) => r.path === path && r.status < 300);
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const expected = Buffer.from(`sha256=${createHmac('sha256', this.secret).update(raw).digest('hex')}`);
        const given = Buffer.from(String(req.headers['x-trailscope-signature'] ?? ''));
        const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
        const path = req.url ?? '/';
        let status = this.statusByKey.get(String(req.headers['idempotency-key'] ?? '')) ?? this.statusByPath.get(path) ?? 200;
        if (status === 200 && this.fail503 > 0) {
          this.fail503--;
          status = 503;
        }
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        } catch {
          status = 400;
        }
        const answer = () => {
          this.received.push({ path, idempotencyKey: String(req.headers['idempotency-key'] ?? ''), signatureValid, body, status });
          res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
        };
        if (this.holdMs > 0) setTimeout(answer, this.holdMs);
        else answer();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
