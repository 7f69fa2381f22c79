/**
 * What integration tests share: the endpoints the global setup exported, per-test namespaces and buckets, cleanup,
 * a polling helper and a runner for the built `trailscope` binary. Everything talks to the real services.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { z } from 'zod';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { assertNamespace, errorCodeOf } from '@trailscope/model';
import { createRedis, loadConfig, type Config, type OpenSearchClient, type Redis } from '@trailscope/runtime';
import { startService, stopService, type ServiceName } from '@trailscope/stack';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CLI_BIN = path.join(REPO_ROOT, 'packages', 'cli', 'bin', 'trailscope.js');

const EnvSchema = z.object({
  OPENSEARCH_URL: z.url(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//),
  S3_ENDPOINT: z.url(),
  AWS_ACCESS_KEY_ID: z.string().min(1),
  AWS_SECRET_ACCESS_KEY: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  TRAILSCOPE_TEST_MODE: z.enum(['local', 'containers', 'external']).default('external'),
  TRAILSCOPE_TEST_STACK_DIR: z.string().optional(),
});

export interface TestEnv {
  opensearchUrl: string;
  redisUrl: string;
  s3Endpoint: string;
  awsAccessKeyId: string;
  awsSecretAccessKey: string;
  awsRegion: string;
  /** local: the stack package's processes; containers: testcontainers; external: endpoints given by the caller. */
  mode: 'local' | 'containers' | 'external';
  /** The local stack's directory when mode is local (for stopService/startService). */
  stackDir?: string;
  /** The endpoint variables, ready to merge into a child process environment. */
  vars: Record<'OPENSEARCH_URL' | 'REDIS_URL' | 'S3_ENDPOINT' | 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'AWS_REGION', string>;
}

/** The service endpoints of this test run; fails with the missing variable's name when the setup did not run. */
export function testEnv(): TestEnv {
  const parsed = EnvSchema.safeParse(process.env);
  if (!parsed.success) {
    const key = String(parsed.error.issues[0]?.path[0] ?? 'environment');
    throw new Error(`integration test environment incomplete: ${key} is missing or invalid (run through jest's integration project, or set TRAILSCOPE_SKIP_STACK=1 with every endpoint variable)`);
  }
  const e = parsed.data;
  return {
    opensearchUrl: e.OPENSEARCH_URL,
    redisUrl: e.REDIS_URL,
    s3Endpoint: e.S3_ENDPOINT,
    awsAccessKeyId: e.AWS_ACCESS_KEY_ID,
    awsSecretAccessKey: e.AWS_SECRET_ACCESS_KEY,
    awsRegion: e.AWS_REGION,
    mode: e.TRAILSCOPE_TEST_MODE,
    stackDir: e.TRAILSCOPE_TEST_MODE === 'local' ? e.TRAILSCOPE_TEST_STACK_DIR : undefined,
    vars: {
      OPENSEARCH_URL: e.OPENSEARCH_URL,
      REDIS_URL: e.REDIS_URL,
      S3_ENDPOINT: e.S3_ENDPOINT,
      AWS_ACCESS_KEY_ID: e.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: e.AWS_SECRET_ACCESS_KEY,
      AWS_REGION: e.AWS_REGION,
    },
  };
}

const slug = (prefix: string) =>
  prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 24) || 't';

/** A namespace no other test (or run) uses: `<prefix>-<8 hex>`, valid for TRAILSCOPE_NAMESPACE. */
export function uniqueNamespace(prefix = 't'): string {
  return assertNamespace(`${slug(prefix)}-${randomBytes(4).toString('hex')}`);
}

/** A valid, unused S3 bucket name: `<prefix>-<12 hex>`. */
export function uniqueBucketName(prefix = 'ts-test'): string {
  return `${slug(prefix).slice(0, 40)}-${randomBytes(6).toString('hex')}`;
}

/**
 * The runtime Config a trailscope process would load, pointed at the test services and namespace. Logs default
 * to warn so test output stays readable (LOG_LEVEL overrides).
 */
export function makeConfig(namespace: string, overrides: Record<string, string | number | undefined> = {}): Config {
  return loadConfig({ env: cliEnv(namespace), overrides });
}

/** Environment for a trailscope child process (or loadConfig) using the test services and `namespace`. */
export function cliEnv(namespace?: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...testEnv().vars,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...(namespace ? { TRAILSCOPE_NAMESPACE: namespace } : {}),
    ...extra,
  };
}

export async function createBucket(s3: S3Client, name: string): Promise<string> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw err;
  }
  return name;
}

/** Deletes every object, then the bucket; a bucket that is already gone is fine. */
export async function deleteBucket(s3: S3Client, name: string): Promise<void> {
  for (;;) {
    let listed;
    try {
      listed = await s3.send(new ListObjectsV2Command({ Bucket: name, MaxKeys: 1000 }));
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchBucket') return;
      throw err;
    }
    const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys, Quiet: true } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: name }));
}

async function unlinkMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

async function templateNames(client: OpenSearchClient, path: string, field: string, namespace: string): Promise<string[]> {
  const res = await client.transport.request({ method: 'GET', path: `${path}/${namespace}-*` }, { ignore: [404] });
  const body = res.body as Record<string, unknown> | undefined;
  if (!body) return [];
  const list = body[field];
  if (Array.isArray(list)) return list.map((t) => String((t as { name: unknown }).name));
  // the legacy _template API answers with an object keyed by template name
  return Object.keys(body).filter((k) => k.startsWith(`${namespace}-`));
}

/**
 * Deletes everything a test namespace created: indices (and so their aliases), index/component/legacy
 * templates named `<ns>-*`, and the Redis keys of its BullMQ queues and state. Pass `{ opensearch, redis }`
 * to reuse clients; with an OpenSearch client alone a short-lived Redis connection is opened.
 */
export async function cleanupNamespace(clients: OpenSearchClient | { opensearch: OpenSearchClient; redis?: Redis }, namespace: string): Promise<void> {
  assertNamespace(namespace);
  const opensearch = 'opensearch' in clients ? clients.opensearch : clients;
  const given = 'opensearch' in clients ? clients.redis : undefined;
  await opensearch.indices.delete({ index: `${namespace}-*`, expand_wildcards: 'all', ignore_unavailable: true, allow_no_indices: true }, { ignore: [404] });
  for (const name of await templateNames(opensearch, '/_index_template', 'index_templates', namespace)) {
    await opensearch.indices.deleteIndexTemplate({ name }, { ignore: [404] });
  }
  for (const name of await templateNames(opensearch, '/_component_template', 'component_templates', namespace)) {
    await opensearch.cluster.deleteComponentTemplate({ name }, { ignore: [404] });
  }
  for (const name of await templateNames(opensearch, '/_template', '', namespace)) {
    await opensearch.indices.deleteTemplate({ name }, { ignore: [404] });
  }
  const redis = given ?? createRedis(makeConfig(namespace));
  try {
    await unlinkMatching(redis, `bull:${namespace}-*`);
    await unlinkMatching(redis, `${namespace}:*`);
  } finally {
    if (!given) redis.disconnect();
  }
}

/** The error code `p` rejects with, or "no error" when it resolves. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return errorCodeOf(err);
  }
  return 'no error';
}

/**
 * Polls `probe` until it returns something other than undefined/false/null, and returns that. Fails after
 * `timeoutMs` with `what` and the last error the probe threw.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'condition'}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `trailscope` binary (the setup builds it) with the test services in its environment.
 * `env` entries are added on top; a value of undefined removes the variable.
 */
export function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...cliEnv(), ...options.env };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timeoutMs = options.timeoutMs ?? 240000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: signal ? `${stderr}\n[runCli] killed by ${signal} (timeout ${timeoutMs} ms)` : stderr,
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

function localStackDir(service: ServiceName): string {
  const env = testEnv();
  if (env.mode !== 'local' || !env.stackDir) {
    throw new Error(`stopping/starting ${service} needs the local stack; this run uses ${env.mode} services`);
  }
  return env.stackDir;
}

/**
 * Stops one service of the local test stack (an outage for resilience tests); its port and data are kept.
 * Always pair with startTestService in a finally block: other test files share the stack.
 */
export async function stopTestService(service: ServiceName): Promise<void> {
  await stopService(localStackDir(service), service);
}

/** Starts the service again at the same URL and waits until it is healthy. */
export async function startTestService(service: ServiceName): Promise<void> {
  const endpoints = await startService(localStackDir(service), service);
  const vars = testEnv().vars;
  const moved = endpoints && (['OPENSEARCH_URL', 'REDIS_URL', 'S3_ENDPOINT'] as const).find((k) => endpoints[k] !== vars[k]);
  if (moved) throw new Error(`${service} restarted at ${endpoints[moved]} instead of ${vars[moved]}: its port was taken meanwhile`);
}

/** Parses `KEY=value` lines (as `stack up` prints them). */
export function parseKeyValueLines(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}
