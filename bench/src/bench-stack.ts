import * as path from 'node:path';
import { loadConfig, type Config } from '@trailscope/runtime';
import { stackLease } from '@trailscope/stack';

/** The services the bench drives: either a running stack named by the environment, or one it started itself. */
export interface BenchStack {
  source: string;
  endpoints: Record<string, string>;
  /** Config of one benchmark namespace on this stack. */
  configFor(namespace: string, extra?: Record<string, string>): Config;
  /** Environment for a trailscope child process working in one namespace. */
  envFor(namespace: string, extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Pids of the S3 server and Redis when this stack started them (for their CPU share); empty otherwise. */
  servicePids: Partial<Record<'s3' | 'redis', number>>;
  stop(): Promise<void>;
}

const ENDPOINT_KEYS = ['OPENSEARCH_URL', 'REDIS_URL', 'S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;

function stackFrom(source: string, endpoints: Record<string, string>, stop: () => Promise<void>, servicePids: BenchStack['servicePids'] = {}): BenchStack {
  const base = (namespace: string, extra: Record<string, string> = {}) => ({
    ...endpoints,
    TRAILSCOPE_NAMESPACE: namespace,
    LOG_LEVEL: 'warn',
    ...extra,
  });
  return {
    source,
    endpoints,
    configFor: (namespace, extra) => loadConfig({ env: base(namespace, extra), stackDir: path.join(__dirname, 'no-stack-env') }),
    envFor: (namespace, extra) => ({ ...process.env, ...base(namespace, extra) }),
    servicePids,
    stop,
  };
}

/**
 * Uses the stack named by OPENSEARCH_URL, REDIS_URL and S3_ENDPOINT when all three are set; otherwise starts the
 * local stack (packages/stack) in `stackDir` and stops it afterwards unless asked to keep it.
 */
export async function openBenchStack(stackDir: string, keepStack: boolean, log: (msg: string) => void): Promise<BenchStack> {
  const env = process.env;
  if (env.OPENSEARCH_URL && env.REDIS_URL && env.S3_ENDPOINT) {
    const endpoints: Record<string, string> = {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    };
    for (const k of ENDPOINT_KEYS) if (env[k]) endpoints[k] = env[k] as string;
    log(`using the stack named by the environment (OpenSearch ${endpoints.OPENSEARCH_URL})`);
    return stackFrom('services named by OPENSEARCH_URL / REDIS_URL / S3_ENDPOINT', endpoints, async () => {});
  }
  // s3rver signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 18+) only offers through its
  // legacy provider: without it every truncated listing (> 1,000 keys) fails with a 500. The stack's S3 server
  // inherits this environment while it starts.
  const nodeOptions = env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${nodeOptions ?? ''} --openssl-legacy-provider`.trim();
  // loaded lazily: the stack package pulls in service runners the reuse path never needs
  const { stackUp, stackDown, stackStatus } = await import('@trailscope/stack');
  log(`starting the local stack in ${path.relative(process.cwd(), stackDir) || stackDir} (first start takes a minute)`);
  const wasRunning = (await stackStatus({ dir: stackDir })).every((svc) => svc.running && svc.healthy);
  const others = stackLease(stackDir, 'bench').otherHolders();
  if (others.length) log(`another bench run (pid ${others.join(', ')}) is using this stack: figures of both runs are disturbed`);
  stackLease(stackDir, 'bench').take();
  let started;
  try {
    started = await stackUp({ dir: stackDir, nodes: 1 });
    if (!wasRunning) stackLease(stackDir, 'bench').markStarted();
  } finally {
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
  }
  const endpoints: Record<string, string> = { ...started };
  const servicePids: BenchStack['servicePids'] = {};
  for (const s of await stackStatus({ dir: stackDir })) {
    if ((s.service === 's3' || s.service === 'redis') && s.managed && s.pid) servicePids[s.service] = s.pid;
  }
  return stackFrom(
    `local stack started by the bench (packages/stack, one OpenSearch node, in bench/.data/stack)`,
    endpoints,
    async () => {
      const last = stackLease(stackDir, 'bench').release();
      if (keepStack || !last) return;
      log('stopping the local stack');
      await stackDown({ dir: stackDir });
    },
    servicePids,
  );
}
