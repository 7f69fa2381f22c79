import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import IORedis from 'ioredis';
import { waitFor } from './env';

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (port + 10000, Redis's rule) is free as well. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (taken.has(port) || taken.has(port + 10000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10000))) return port;
  }
  throw new Error('no free port pair (port, port + 10000) for a Redis Cluster node between 20000 and 40000');
}

/**
 * A Redis Cluster of `masters` redis-server processes (no replicas, nothing kept on disk) in a temporary directory,
 * created with `redis-cli --cluster create`. `stop()` kills exactly the processes it started and removes the directory.
 */
export class LocalRedisCluster {
  readonly ports: number[] = [];
  private readonly procs: ChildProcess[] = [];
  private dir = '';

  constructor(private readonly masters = 3) {}

  /** The REDIS_CLUSTER_NODES value of this cluster. */
  get nodesSetting(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-redis-cluster-'));
    const taken = new Set<number>();
    for (let i = 0; i < this.masters; i++) {
      const port = await freeClusterPort(taken);
      taken.add(port).add(port + 10000);
      this.ports.push(port);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`];
      args.push('--cluster-node-timeout', '5000', '--dir', this.dir, '--save', '', '--appendonly', 'no');
      const log = fs.openSync(path.join(this.dir, `redis-${port}.log`), 'a');
      this.procs.push(spawn('redis-server', args, { stdio: ['ignore', log, log] }));
      fs.closeSync(log);
    }
    for (const port of this.ports) await this.waitPing(port);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 60000,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (${create.status ?? create.signal}): ${create.stdout}${create.stderr}`);
    for (const port of this.ports) {
      await this.withNode(port, (node) =>
        waitFor(async () => /cluster_state:ok/.test(await node.cluster('INFO')), { timeoutMs: 30000, what: `cluster_state:ok on 127.0.0.1:${port}` }),
      );
    }
  }

  /** Runs `fn` with a plain connection to one node. */
  async withNode<T>(port: number, fn: (node: IORedis) => Promise<T>): Promise<T> {
    const node = new IORedis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      await node.connect();
      return await fn(node);
    } finally {
      node.disconnect();
    }
  }

  private async waitPing(port: number): Promise<void> {
    await waitFor(() => this.withNode(port, async (node) => (await node.ping()) === 'PONG'), { timeoutMs: 15000, what: `redis-server on 127.0.0.1:${port}` });
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      ),
    );
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
