import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import IORedis from 'ioredis';
import { CLI_BIN, REPO_ROOT, cliEnv, waitFor } from '../../support/env';

export interface CliProcess {
  child: ChildProcess;
  /** Resolves with the exit code (128 + n when killed by a signal). */
  exited: Promise<number>;
  output(): { stdout: string; stderr: string };
}

/** Starts a long-running `trailscope` command (worker, backfill --wait) that a test can signal or kill. */
export function startCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: REPO_ROOT, env: cliEnv(undefined, env), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1)));
  });
  return { child, exited, output: () => ({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }) };
}

/** The exit code, or -1 (after a SIGKILL) when the process is still running after `timeoutMs`. */
export async function exitWithin(proc: CliProcess, timeoutMs: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(-1), timeoutMs);
  });
  try {
    const code = await Promise.race([proc.exited, timedOut]);
    if (code === -1) proc.child.kill('SIGKILL');
    return code;
  } finally {
    clearTimeout(timer);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A private redis-server that keeps nothing on disk, so a restart loses every key, as the acceptance test asks. */
export class EphemeralRedis {
  private proc: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const probe = new IORedis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      await waitFor(async () => {
        if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
        return (await probe.ping()) === 'PONG';
      }, { timeoutMs: 15000, what: `redis-server on port ${this.port}` });
    } finally {
      probe.disconnect();
    }
  }

  /** Kills the server outright: no shutdown save, every key lost. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
}

/**
 * A TCP forwarder that can refuse every connection for a while: OpenSearch as its clients see it while it is down,
 * used when the test environment's OpenSearch is not ours to stop.
 */
export class OutageProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Closes the listener and every open connection: new connections are refused until `start` again. */
  async stop(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}
