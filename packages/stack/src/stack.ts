import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { TrailscopeError, errorMessageOf } from '@trailscope/model';
import { createLogger, resolveStackDir, type Logger } from '@trailscope/runtime';
import {
  MAX_NODES,
  isHealthyCluster,
  opensearchMarkers,
  opensearchUrl,
  portsTakenByOthers,
  probeOpenSearch,
  spawnOpenSearch,
  stopOpenSearch,
  waitOpenSearchHealthy,
} from './opensearch-service';
import { isOwnedProcess } from './owned-process';
import { existingRedis, pingRedis, redisMarkers, startRedis, stopRedis } from './redis-service';
import { S3_CREDENTIALS, probeS3, s3IsRunning, s3Url, startS3, stopS3 } from './s3-service';
import { stackLayout, type ServiceName, type StackLayout } from './stack-layout';
import { stackSettingsFromEnv, type StackSettings } from './stack-settings';
import { readState, writeState, type StackState } from './stack-state';

/** What `stack up` prints and writes to stack.env: the variables every trailscope command reads. */
export interface StackEndpoints {
  OPENSEARCH_URL: string;
  REDIS_URL: string;
  S3_ENDPOINT: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_REGION: string;
}

export const ENDPOINT_KEYS = ['OPENSEARCH_URL', 'REDIS_URL', 'S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;

export interface StackOptions {
  /** Stack directory; default `.trailscope/stack` (or TRAILSCOPE_STACK_DIR) under the working directory. */
  dir?: string;
  logger?: Logger;
  /** Environment to read settings from (REDIS_URL, TRAILSCOPE_OPENSEARCH_HEAP, ...); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface StackUpOptions extends StackOptions {
  /** OpenSearch nodes in the one JVM; default: as before for an existing stack, else 1. */
  nodes?: number;
}

export interface ServiceStatus {
  service: ServiceName;
  /** Started (and stopped) by this stack; false for a Redis that was already there. */
  managed: boolean;
  running: boolean;
  healthy: boolean;
  pid?: number;
  url?: string;
  log?: string;
  nodes?: number;
  detail?: string;
}

interface Session {
  layout: StackLayout;
  settings: StackSettings;
  state: StackState;
  logger: Logger;
  /** Stops what this call started, newest first, when a later step fails. */
  undo: Array<() => Promise<unknown>>;
  save: () => void;
}

function defaultLogger(): Logger {
  return createLogger({ name: 'trailscope-stack', level: 'warn' });
}

function resolveLayout(options: StackOptions): StackLayout {
  return stackLayout(resolveStackDir(options.dir, options.env ?? process.env));
}

const START_ATTEMPTS = 3;

/** A lock shared by every stack directory of this user (it lives in the cache directory). */
async function withMachineLock<T>(cacheDir: string, name: string, logger: Logger, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const release = await lockfile.lock(cacheDir, {
    lockfilePath: path.join(cacheDir, `${name}.lock`),
    realpath: false,
    stale: 30000,
    update: 5000,
    retries: { retries: 1200, minTimeout: 500, maxTimeout: 1000 },
    onCompromised: (err) => logger.warn({ err: errorMessageOf(err), lock: name }, 'machine lock was taken over'),
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** One stack operation at a time per directory: two concurrent `up`s must still end with one stack. */
async function withLock<T>(layout: StackLayout, logger: Logger, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(layout.dir, { recursive: true });
  const release = await lockfile.lock(layout.dir, {
    lockfilePath: path.join(layout.dir, 'stack.lock'),
    realpath: false,
    stale: 30000,
    update: 5000,
    retries: { retries: 1800, minTimeout: 1000, maxTimeout: 1000 },
    onCompromised: (err) => logger.warn({ err: errorMessageOf(err), dir: layout.dir }, 'stack lock was taken over'),
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

function openSession(layout: StackLayout, settings: StackSettings, logger: Logger): Session {
  const state = readState(layout.stateFile);
  return { layout, settings, state, logger, undo: [], save: () => writeState(layout.stateFile, state) };
}

async function ensureOpenSearch(s: Session, requestedNodes: number | undefined): Promise<void> {
  const { layout, settings, logger } = s;
  const prev = s.state.opensearch;
  if (prev && isOwnedProcess(prev.pid, opensearchMarkers(layout))) {
    if (requestedNodes !== undefined && requestedNodes !== prev.nodes) {
      throw new TrailscopeError('USAGE', `--nodes ${requestedNodes}: the stack in ${layout.dir} runs ${prev.nodes} OpenSearch node(s); run \`trailscope stack down\` first`, {
        context: { flag: '--nodes', running: prev.nodes },
      });
    }
    s.state.opensearch = await waitOpenSearchHealthy({ layout, state: prev, timeoutMs: settings.opensearchStartTimeoutMs });
    logger.info({ service: 'opensearch', childPid: prev.pid, url: opensearchUrl(s.state.opensearch) }, 'OpenSearch already running');
    return;
  }
  const nodes = requestedNodes ?? prev?.nodes ?? 1;
  // Stacks of different directories pick ports independently; starting one OpenSearch at a time per user keeps
  // two of them from choosing the same free port before either binds it.
  await withMachineLock(settings.cacheDir, 'opensearch-start', logger, async () => {
    for (let attempt = 1; ; attempt += 1) {
      const started = await spawnOpenSearch({ layout, settings, nodes, previous: attempt === 1 ? prev : undefined, logger });
      s.state.opensearch = started.state;
      s.save();
      const undo = async () => {
        await stopOpenSearch(layout, started.state);
        if (s.state.opensearch) delete s.state.opensearch.pid;
      };
      try {
        s.state.opensearch = await waitOpenSearchHealthy({ layout, state: started.state, logOffset: started.logOffset, timeoutMs: settings.opensearchStartTimeoutMs });
      } catch (err) {
        const exited = (err as TrailscopeError).context?.exitedDuringStartup === true;
        if (exited && attempt < START_ATTEMPTS && (await portsTakenByOthers(started.state))) {
          logger.warn({ service: 'opensearch', attempt, httpPort: started.state.httpPort, transportPorts: started.state.transportPorts }, 'OpenSearch lost a port to another process, retrying on other ports');
          continue;
        }
        await undo();
        throw err;
      }
      s.undo.push(undo);
      s.save();
      logger.info({ service: 'opensearch', url: opensearchUrl(s.state.opensearch), nodes }, 'OpenSearch ready');
      return;
    }
  });
}

async function ensureRedis(s: Session): Promise<void> {
  const existing = await existingRedis(s.settings, s.state.redis);
  if (existing) {
    s.state.redis = existing;
    s.save();
    s.logger.info({ service: 'redis', url: existing.url, managed: existing.managed }, 'Redis already running');
    return;
  }
  const previousPort = s.state.redis?.managed ? s.state.redis.port : undefined;
  const started = await startRedis({ layout: s.layout, previousPort, timeoutMs: s.settings.serviceStartTimeoutMs, logger: s.logger });
  s.state.redis = started;
  s.save();
  s.undo.push(async () => {
    await stopRedis(started);
    if (s.state.redis?.managed) delete s.state.redis.pid;
  });
  s.logger.info({ service: 'redis', url: started.url }, 'Redis ready');
}

async function ensureS3(s: Session): Promise<void> {
  const prev = s.state.s3;
  if (prev && s3IsRunning(s.layout, prev) && (await probeS3(s3Url(prev.port)))) {
    s.logger.info({ service: 's3', url: s3Url(prev.port) }, 'S3 server already running');
    return;
  }
  const started = await startS3({ layout: s.layout, previousPort: prev?.port, timeoutMs: s.settings.serviceStartTimeoutMs, logger: s.logger });
  s.state.s3 = started;
  s.save();
  s.undo.push(async () => {
    await stopS3(s.layout, started);
    if (s.state.s3) delete s.state.s3.pid;
  });
  s.logger.info({ service: 's3', url: s3Url(started.port) }, 'S3 server ready');
}

/** Runs the steps side by side; on any failure stops what this call started, then rethrows the first error. */
async function runAll(s: Session, steps: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(steps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return;
  for (const undo of s.undo.reverse()) {
    try {
      await undo();
    } catch (err) {
      s.logger.warn({ err: errorMessageOf(err) }, 'could not stop a service after a failed start');
    }
  }
  s.save();
  throw failed.reason;
}

function endpointsOf(state: StackState): StackEndpoints | undefined {
  if (!state.opensearch || !state.redis || !state.s3) return undefined;
  return {
    OPENSEARCH_URL: opensearchUrl(state.opensearch),
    REDIS_URL: state.redis.url,
    S3_ENDPOINT: s3Url(state.s3.port),
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    AWS_REGION: S3_CREDENTIALS.region,
  };
}

export function formatEndpoints(endpoints: StackEndpoints): string {
  return ENDPOINT_KEYS.map((k) => `${k}=${endpoints[k]}`).join('\n');
}

function writeEnvFile(layout: StackLayout, endpoints: StackEndpoints): void {
  const text = `# Written by \`trailscope stack up\`; trailscope commands read it for variables the environment does not set.\n${formatEndpoints(endpoints)}\n`;
  const tmp = `${layout.envFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, layout.envFile);
}

function finish(s: Session): StackEndpoints {
  s.save();
  const endpoints = endpointsOf(s.state);
  if (!endpoints) throw new TrailscopeError('INTERNAL', `stack in ${s.layout.dir} is incomplete after start`);
  writeEnvFile(s.layout, endpoints);
  return endpoints;
}

/**
 * Starts whatever of OpenSearch, Redis and the S3 server is not already running in the stack directory, waits
 * until each answers its health check, writes `<dir>/stack.env` and returns the endpoints. Idempotent.
 */
export async function stackUp(options: StackUpOptions = {}): Promise<StackEndpoints> {
  const settings = stackSettingsFromEnv(options.env ?? process.env);
  const layout = resolveLayout(options);
  const logger = options.logger ?? defaultLogger();
  const { nodes } = options;
  if (nodes !== undefined && (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES)) {
    throw new TrailscopeError('USAGE', `--nodes must be an integer from 1 to ${MAX_NODES}, got ${String(nodes)}`, { context: { flag: '--nodes' } });
  }
  return withLock(layout, logger, async () => {
    const s = openSession(layout, settings, logger);
    await runAll(s, [ensureOpenSearch(s, nodes), ensureRedis(s), ensureS3(s)]);
    return finish(s);
  });
}

/** Stops every process this stack started (verified by pid and command line) and nothing else; data stays. */
export async function stackDown(options: StackOptions = {}): Promise<{ stopped: ServiceName[] }> {
  const layout = resolveLayout(options);
  const logger = options.logger ?? defaultLogger();
  if (!fs.existsSync(layout.stateFile)) return { stopped: [] };
  return withLock(layout, logger, async () => {
    const state = readState(layout.stateFile);
    const [os, s3, redis] = await Promise.all([stopOpenSearch(layout, state.opensearch), stopS3(layout, state.s3), stopRedis(state.redis)]);
    if (state.opensearch) delete state.opensearch.pid;
    if (state.s3) delete state.s3.pid;
    if (state.redis?.managed) delete state.redis.pid;
    writeState(layout.stateFile, state);
    fs.rmSync(layout.envFile, { force: true });
    const stopped: ServiceName[] = [];
    if (os) stopped.push('opensearch');
    if (redis) stopped.push('redis');
    if (s3) stopped.push('s3');
    logger.info({ dir: layout.dir, stopped }, 'stack stopped');
    return { stopped };
  });
}

/** One entry per service: running (our process alive) and healthy (answers its health check). */
export async function stackStatus(options: StackOptions = {}): Promise<ServiceStatus[]> {
  const layout = resolveLayout(options);
  const state = readState(layout.stateFile);
  const osState = state.opensearch;
  const opensearch: ServiceStatus = { service: 'opensearch', managed: true, running: false, healthy: false, log: layout.logFile('opensearch') };
  if (osState) {
    opensearch.url = opensearchUrl(osState);
    opensearch.nodes = osState.nodes;
    if (isOwnedProcess(osState.pid, opensearchMarkers(layout))) {
      const health = await probeOpenSearch(opensearch.url);
      Object.assign(opensearch, {
        running: true,
        pid: osState.pid,
        healthy: isHealthyCluster(health, osState.nodes),
        detail: health ? `cluster ${health.status}, ${health.number_of_nodes} node(s)` : 'not answering',
      });
    }
  }

  const redisState = state.redis;
  const redis: ServiceStatus = { service: 'redis', managed: redisState?.managed ?? false, running: false, healthy: false };
  if (redisState?.managed) {
    Object.assign(redis, { url: redisState.url, log: layout.logFile('redis') });
    if (isOwnedProcess(redisState.pid, redisMarkers(redisState.port))) Object.assign(redis, { running: true, pid: redisState.pid, healthy: await pingRedis(redisState.url) });
  } else if (redisState) {
    const up = await pingRedis(redisState.url);
    Object.assign(redis, { url: redisState.url, running: up, healthy: up, detail: 'external: not started or stopped by the stack' });
  }

  const s3State = state.s3;
  const s3: ServiceStatus = { service: 's3', managed: true, running: false, healthy: false, log: layout.logFile('s3') };
  if (s3State) {
    s3.url = s3Url(s3State.port);
    if (s3IsRunning(layout, s3State)) Object.assign(s3, { running: true, pid: s3State.pid, healthy: await probeS3(s3.url) });
  }
  return [opensearch, redis, s3];
}

/** The endpoints of a stack whose services are all recorded (running or not), else undefined. */
export function stackEndpoints(options: StackOptions = {}): StackEndpoints | undefined {
  return endpointsOf(readState(resolveLayout(options).stateFile));
}

/**
 * Stops one service of a running stack, keeping its ports and data so `startService` brings it back at the same
 * URL (tests use this to simulate an outage).
 */
export async function stopService(dir: string | undefined, service: ServiceName, options: Omit<StackOptions, 'dir'> = {}): Promise<boolean> {
  const layout = resolveLayout({ ...options, dir });
  const logger = options.logger ?? defaultLogger();
  return withLock(layout, logger, async () => {
    const state = readState(layout.stateFile);
    let stopped: boolean;
    if (service === 'opensearch') {
      stopped = await stopOpenSearch(layout, state.opensearch);
      if (state.opensearch) delete state.opensearch.pid;
    } else if (service === 's3') {
      stopped = await stopS3(layout, state.s3);
      if (state.s3) delete state.s3.pid;
    } else {
      if (state.redis && !state.redis.managed) {
        throw new TrailscopeError('USAGE', `redis at ${state.redis.url} was not started by the stack in ${layout.dir}; it is not ours to stop`, { context: { service } });
      }
      stopped = await stopRedis(state.redis);
      if (state.redis?.managed) delete state.redis.pid;
    }
    writeState(layout.stateFile, state);
    logger.info({ service, stopped }, 'service stopped');
    return stopped;
  });
}

/** Starts one service again (at its previous port when still free) and waits until it is healthy. */
export async function startService(dir: string | undefined, service: ServiceName, options: Omit<StackOptions, 'dir'> = {}): Promise<StackEndpoints | undefined> {
  const settings = stackSettingsFromEnv(options.env ?? process.env);
  const layout = resolveLayout({ ...options, dir });
  const logger = options.logger ?? defaultLogger();
  return withLock(layout, logger, async () => {
    const s = openSession(layout, settings, logger);
    const step = service === 'opensearch' ? ensureOpenSearch(s, undefined) : service === 'redis' ? ensureRedis(s) : ensureS3(s);
    await runAll(s, [step]);
    s.save();
    const endpoints = endpointsOf(s.state);
    if (endpoints) writeEnvFile(layout, endpoints);
    return endpoints;
  });
}
