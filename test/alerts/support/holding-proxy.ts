import * as http from 'node:http';

/**
 * An HTTP forwarder to OpenSearch that holds (never answers, never forwards) the first request whose body matches
 * `hold`: the test then knows exactly how far the process behind it got, and kills it there.
 */
export class HoldingProxy {
  private server: http.Server | undefined;
  hold: ((path: string, body: string) => boolean) | undefined;
  held: string | undefined;
  port = 0;

  constructor(private readonly target: URL) {}

  url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const path = req.url ?? '/';
        if (this.held === undefined && this.hold?.(path, body.toString('utf8'))) {
          this.held = path;
          return;
        }
        const up = http.request(
          { host: this.target.hostname, port: this.target.port, method: req.method, path, headers: { ...req.headers, host: this.target.host } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        up.on('error', () => res.destroy());
        up.end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Holds the next request matching `hold`. */
  arm(hold: (path: string, body: string) => boolean): void {
    this.held = undefined;
    this.hold = hold;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
