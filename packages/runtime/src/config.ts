import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { TrailscopeError, assertNamespace, namesFor, type IndexPeriod, type Names } from '@trailscope/model';
import { readStackEnv, resolveStackDir } from './stack-env';

/** Keys the local stack writes to stack.env; taken from there only when the environment does not set them. */
const STACK_KEYS = ['OPENSEARCH_URL', 'REDIS_URL', 'S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'];

const intFrom = (name: string, def: number, min = 0) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be an integer`)
    .min(min, `${name} must be at least ${min}`)
    .default(def);

const EnvSchema = z.object({
  OPENSEARCH_URL: z.url('OPENSEARCH_URL must be a URL').default('http://127.0.0.1:9200'),
  OPENSEARCH_USERNAME: z.string().optional(),
  OPENSEARCH_PASSWORD: z.string().optional(),
  OPENSEARCH_TLS_INSECURE: z.enum(['true', 'false']).default('false'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'REDIS_URL must start with redis:// or rediss://').default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: z.string().optional(),
  S3_ENDPOINT: z.url('S3_ENDPOINT must be a URL').optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  TRAILSCOPE_NAMESPACE: z.string().default('trailscope'),
  TRAILSCOPE_INDEX_PERIOD: z.enum(['day', 'month']).default('day'),
  TRAILSCOPE_RETENTION_DAYS: intFrom('TRAILSCOPE_RETENTION_DAYS', 0),
  TRAILSCOPE_INDEX_SHARDS: intFrom('TRAILSCOPE_INDEX_SHARDS', 1, 1),
  TRAILSCOPE_INDEX_REPLICAS: intFrom('TRAILSCOPE_INDEX_REPLICAS', 0),
  TRAILSCOPE_MAX_OBJECT_BYTES: intFrom('TRAILSCOPE_MAX_OBJECT_BYTES', 512 * 1024 * 1024, 1),
  TRAILSCOPE_BULK_FLUSH_BYTES: intFrom('TRAILSCOPE_BULK_FLUSH_BYTES', 5 * 1024 * 1024, 1024),
  TRAILSCOPE_BULK_FLUSH_DOCS: intFrom('TRAILSCOPE_BULK_FLUSH_DOCS', 2000, 1),
  TRAILSCOPE_BULK_CONCURRENCY: intFrom('TRAILSCOPE_BULK_CONCURRENCY', 2, 1),
  // Files in flight per worker. A job ends only once OpenSearch acknowledged its documents, and the jobs share one
  // bulk writer: with 4 files of ~500 events every job waited on the same request and the cluster idled between
  // requests (bench: 0.66 of the direct bulk load); 8 keeps the next request filling while one is indexed (0.88).
  TRAILSCOPE_WORKER_CONCURRENCY: intFrom('TRAILSCOPE_WORKER_CONCURRENCY', 8, 1),
  TRAILSCOPE_MAX_WAITING_JOBS: intFrom('TRAILSCOPE_MAX_WAITING_JOBS', 5000, 1),
  TRAILSCOPE_LIST_CONCURRENCY: intFrom('TRAILSCOPE_LIST_CONCURRENCY', 8, 1),
  TRAILSCOPE_POLL_INTERVAL_MS: intFrom('TRAILSCOPE_POLL_INTERVAL_MS', 60000, 100),
  TRAILSCOPE_JOB_ATTEMPTS: intFrom('TRAILSCOPE_JOB_ATTEMPTS', 8, 1),
  TRAILSCOPE_JOB_LOCK_MS: intFrom('TRAILSCOPE_JOB_LOCK_MS', 30000, 1000),
  TRAILSCOPE_RULES_REFRESH_MS: intFrom('TRAILSCOPE_RULES_REFRESH_MS', 30000, 100),
  TRAILSCOPE_API_PORT: intFrom('TRAILSCOPE_API_PORT', 8080, 0),
  TRAILSCOPE_API_HOST: z.string().default('127.0.0.1'),
  TRAILSCOPE_API_MAX_PITS_PER_KEY: intFrom('TRAILSCOPE_API_MAX_PITS_PER_KEY', 10, 1),
  TRAILSCOPE_SERVER_KEY: z.string().optional(),
  TRAILSCOPE_ALERTS_FILE: z.string().optional(),
  TRAILSCOPE_API_SEARCH_TIMEOUT_MS: intFrom('TRAILSCOPE_API_SEARCH_TIMEOUT_MS', 30000, 1),
  TRAILSCOPE_API_REQUEST_TIMEOUT_MS: intFrom('TRAILSCOPE_API_REQUEST_TIMEOUT_MS', 10000, 1),
  TRAILSCOPE_API_CONNECTION_TIMEOUT_MS: intFrom('TRAILSCOPE_API_CONNECTION_TIMEOUT_MS', 60000, 1),
  TRAILSCOPE_API_KEEP_ALIVE_TIMEOUT_MS: intFrom('TRAILSCOPE_API_KEEP_ALIVE_TIMEOUT_MS', 5000, 1),
  TRAILSCOPE_API_RATE_LIMIT: intFrom('TRAILSCOPE_API_RATE_LIMIT', 600, 0),
  TRAILSCOPE_API_RATE_WINDOW_MS: intFrom('TRAILSCOPE_API_RATE_WINDOW_MS', 60000, 1000),
  TRAILSCOPE_API_MAX_CONCURRENT: intFrom('TRAILSCOPE_API_MAX_CONCURRENT', 4, 0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  opensearch: { url: string; username?: string; password?: string; tlsInsecure: boolean };
  /** `clusterNodes` set: a Redis Cluster reached through these seed nodes (url is then unused). */
  redis: { url: string; clusterNodes?: Array<{ host: string; port: number }> };
  s3: { endpoint?: string; forcePathStyle: boolean; region: string; accessKeyId?: string; secretAccessKey?: string };
  namespace: string;
  names: Names;
  index: { period: IndexPeriod; retentionDays: number; shards: number; replicas: number };
  ingest: {
    maxObjectBytes: number;
    bulkFlushBytes: number;
    bulkFlushDocs: number;
    bulkConcurrency: number;
    workerConcurrency: number;
    maxWaitingJobs: number;
    listConcurrency: number;
    pollIntervalMs: number;
    jobAttempts: number;
    /** How long a killed worker's job stays locked before another worker takes it over. */
    jobLockMs: number;
    /** How often live detection reads the applied rule set again (a `rules apply` is picked up within this time). */
    rulesRefreshMs: number;
  };
  api: { port: number; host: string; serverKey?: string; /** Points in time (open cursors) one API key may hold. */ maxPitsPerKey: number };
  /** Bounds of the HTTP API: how long a search may run, socket timeouts, per-key budgets (0 turns a budget off). */
  apiLimits: {
    searchTimeoutMs: number;
    requestTimeoutMs: number;
    connectionTimeoutMs: number;
    keepAliveTimeoutMs: number;
    ratePerWindow: number;
    rateWindowMs: number;
    maxConcurrentPerKey: number;
  };
  /**
   * `file`: the alerts file (TRAILSCOPE_ALERTS_FILE, an absolute path) read by detection and the alert senders
   * instead of the configuration stored by `alerts apply`; its contents are validated where it is read, by
   * @trailscope/alerts, and every problem names the file and the key.
   */
  alerts: { file?: string };
  logLevel: string;
  stackDir: string;
}

/**
 * A namespace's event indices are `<ns>-events-<period>` and its patterns `<ns>-events-*`: a namespace that itself
 * contains `-events-` or ends in `-events` would have indices matching another namespace's patterns (`a-events-b`
 * under `a-events-*`), which would then search, count and template them as its own.
 */
function assertNamespaceApart(namespace: string): void {
  if (/-events(-|$)/.test(namespace)) {
    throw new TrailscopeError(
      'CONFIG_INVALID',
      `TRAILSCOPE_NAMESPACE "${namespace}" is invalid: it must not contain "-events-" or end in "-events", or its indices would match another namespace's index patterns`,
      { context: { variable: 'TRAILSCOPE_NAMESPACE', namespace } },
    );
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Flag values that override the environment, keyed by environment variable name. */
  overrides?: Record<string, string | number | undefined>;
  stackDir?: string;
}

/**
 * The only reader of process.env. Precedence: flags, then the environment, then the local stack's stack.env
 * (for the service endpoints only), then defaults.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const stackDir = resolveStackDir(options.stackDir, env);
  const stackEnv = readStackEnv(stackDir);
  const merged: Record<string, string | undefined> = {};
  for (const k of STACK_KEYS) if (stackEnv[k] !== undefined) merged[k] = stackEnv[k];
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') merged[k] = v;
  for (const [k, v] of Object.entries(options.overrides ?? {})) if (v !== undefined) merged[k] = String(v);

  // Every invalid variable is reported at once, so an operator fixes a deployment in one round rather than one per
  // variable.
  const parsed = EnvSchema.safeParse(merged);
  const problems: ConfigProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? 'configuration');
        return { variable, message: `invalid ${variable}: ${issue.message}` };
      });
  const namespace = collectProblem(problems, 'TRAILSCOPE_NAMESPACE', () => {
    const ns = assertNamespace(parsed.success ? parsed.data.TRAILSCOPE_NAMESPACE : (merged.TRAILSCOPE_NAMESPACE ?? 'trailscope'));
    assertNamespaceApart(ns);
    return ns;
  });
  const apiLimits = parsed.success ? collectProblem(problems, 'configuration', () => apiLimitsOf(parsed.data)) : undefined;
  const clusterNodes = collectProblem(problems, 'REDIS_CLUSTER_NODES', () => parseClusterNodes(merged.REDIS_CLUSTER_NODES));
  const alertsFile = collectProblem(problems, 'TRAILSCOPE_ALERTS_FILE', () => alertsFileOf(merged.TRAILSCOPE_ALERTS_FILE));
  if (!parsed.success || namespace === undefined || apiLimits === undefined || problems.length > 0) {
    throw new TrailscopeError('CONFIG_INVALID', problems.map((p) => p.message).join('; '), {
      context: { variable: problems[0]?.variable, variables: problems.map((p) => p.variable), problems },
    });
  }
  const e = parsed.data;
  return deepFreeze({
    opensearch: {
      url: e.OPENSEARCH_URL,
      username: e.OPENSEARCH_USERNAME,
      password: e.OPENSEARCH_PASSWORD,
      tlsInsecure: e.OPENSEARCH_TLS_INSECURE === 'true',
    },
    redis: { url: e.REDIS_URL, ...(clusterNodes ? { clusterNodes } : {}) },
    s3: {
      endpoint: e.S3_ENDPOINT,
      forcePathStyle: e.S3_FORCE_PATH_STYLE ? e.S3_FORCE_PATH_STYLE === 'true' : Boolean(e.S3_ENDPOINT),
      region: e.AWS_REGION,
      accessKeyId: e.AWS_ACCESS_KEY_ID,
      secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
    },
    namespace,
    names: namesFor(namespace, { redisHashTags: clusterNodes !== undefined }),
    index: {
      period: e.TRAILSCOPE_INDEX_PERIOD,
      retentionDays: e.TRAILSCOPE_RETENTION_DAYS,
      shards: e.TRAILSCOPE_INDEX_SHARDS,
      replicas: e.TRAILSCOPE_INDEX_REPLICAS,
    },
    ingest: {
      maxObjectBytes: e.TRAILSCOPE_MAX_OBJECT_BYTES,
      bulkFlushBytes: e.TRAILSCOPE_BULK_FLUSH_BYTES,
      bulkFlushDocs: e.TRAILSCOPE_BULK_FLUSH_DOCS,
      bulkConcurrency: e.TRAILSCOPE_BULK_CONCURRENCY,
      workerConcurrency: e.TRAILSCOPE_WORKER_CONCURRENCY,
      maxWaitingJobs: e.TRAILSCOPE_MAX_WAITING_JOBS,
      listConcurrency: e.TRAILSCOPE_LIST_CONCURRENCY,
      pollIntervalMs: e.TRAILSCOPE_POLL_INTERVAL_MS,
      jobAttempts: e.TRAILSCOPE_JOB_ATTEMPTS,
      jobLockMs: e.TRAILSCOPE_JOB_LOCK_MS,
      rulesRefreshMs: e.TRAILSCOPE_RULES_REFRESH_MS,
    },
    api: { port: e.TRAILSCOPE_API_PORT, host: e.TRAILSCOPE_API_HOST, serverKey: e.TRAILSCOPE_SERVER_KEY, maxPitsPerKey: e.TRAILSCOPE_API_MAX_PITS_PER_KEY },
    apiLimits,
    alerts: { file: alertsFile },
    logLevel: e.LOG_LEVEL,
    stackDir,
  });
}

/** `host:port,host:port`: seed nodes of a Redis Cluster (the client learns the others from them). */
function parseClusterNodes(value: string | undefined): Array<{ host: string; port: number }> | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(',').map((raw) => {
    const item = raw.trim();
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) {
      throw new TrailscopeError('CONFIG_INVALID', `invalid REDIS_CLUSTER_NODES: "${item}" is not host:port (give a comma-separated list such as redis-1:6379,redis-2:6379)`, {
        context: { variable: 'REDIS_CLUSTER_NODES', item },
      });
    }
    return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
  });
}

interface ConfigProblem {
  variable: string;
  message: string;
}

/** Runs one check of the configuration; a CONFIG_INVALID it throws joins `problems` instead of ending the load. */
function collectProblem<T>(problems: ConfigProblem[], variable: string, check: () => T): T | undefined {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof TrailscopeError) || err.code !== 'CONFIG_INVALID') throw err;
    const named = err.context.variable;
    problems.push({ variable: typeof named === 'string' ? named : variable, message: err.message });
    return undefined;
  }
}

/** A loaded Config is shared by every part of a process: frozen, so no part can change what another reads. */
function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The alerts file must be a readable file when named: a typo in the path would otherwise turn alerting off in
 * silence (detection falls back to the stored configuration). Its contents are checked where they are parsed.
 */
function alertsFileOf(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const path = resolve(file);
  const fail = (why: string) => {
    throw new TrailscopeError('CONFIG_INVALID', `invalid TRAILSCOPE_ALERTS_FILE: ${file}: ${why}`, { context: { variable: 'TRAILSCOPE_ALERTS_FILE', file } });
  };
  try {
    if (!statSync(path).isFile()) fail('is not a file');
    accessSync(path, constants.R_OK);
  } catch (err) {
    if (err instanceof TrailscopeError) throw err;
    fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return path;
}

/** An idle connection is closed after connectionTimeout: it must outlast the longest search, or answers are cut. */
function apiLimitsOf(e: z.output<typeof EnvSchema>): Config['apiLimits'] {
  if (e.TRAILSCOPE_API_CONNECTION_TIMEOUT_MS <= e.TRAILSCOPE_API_SEARCH_TIMEOUT_MS) {
    throw new TrailscopeError(
      'CONFIG_INVALID',
      `invalid TRAILSCOPE_API_CONNECTION_TIMEOUT_MS: must be more than TRAILSCOPE_API_SEARCH_TIMEOUT_MS (${e.TRAILSCOPE_API_SEARCH_TIMEOUT_MS}), or sockets close during searches`,
      { context: { variable: 'TRAILSCOPE_API_CONNECTION_TIMEOUT_MS' } },
    );
  }
  return {
    searchTimeoutMs: e.TRAILSCOPE_API_SEARCH_TIMEOUT_MS,
    requestTimeoutMs: e.TRAILSCOPE_API_REQUEST_TIMEOUT_MS,
    connectionTimeoutMs: e.TRAILSCOPE_API_CONNECTION_TIMEOUT_MS,
    keepAliveTimeoutMs: e.TRAILSCOPE_API_KEEP_ALIVE_TIMEOUT_MS,
    ratePerWindow: e.TRAILSCOPE_API_RATE_LIMIT,
    rateWindowMs: e.TRAILSCOPE_API_RATE_WINDOW_MS,
    maxConcurrentPerKey: e.TRAILSCOPE_API_MAX_CONCURRENT,
  };
}
