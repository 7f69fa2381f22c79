import * as fs from 'node:fs';
import { TrailscopeError } from '@trailscope/model';
import { createLogger, resolveStackDir, type Logger } from '@trailscope/runtime';
import { withFileLock } from './file-lock';
import { MAX_NODES } from './opensearch-service';
import { stackLayout, type ServiceName, type StackLayout } from './stack-layout';
import type { StackEndpoints, ServiceStatus, StackService, StackSession } from './stack-service';
import { STACK_SERVICES, stackServiceNamed } from './stack-services';
import { stackSettingsFromEnv, type StackSettings } from './stack-settings';
import { readState, writeState, type StackState } from './stack-state';

export type { StackEndpoints, ServiceStatus } from './stack-service';

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

/** How long an operation waits for another one on the same directory (an OpenSearch first start fetches jars). */
const STACK_LOCK_WAIT_MS = 30 * 60 * 1000;

function defaultLogger(): Logger {
  return createLogger({ name: 'trailscope-stack', level: 'warn' });
}

function resolveLayout(options: StackOptions): StackLayout {
  return stackLayout(resolveStackDir(options.dir, options.env ?? process.env));
}

/** One stack operation at a time per directory: two concurrent `up`s must still end with one stack. */
function withStackLock<T>(layout: StackLayout, logger: Logger, fn: () => Promise<T>): Promise<T> {
  return withFileLock({ dir: layout.dir, name: 'stack', logger, waitMs: STACK_LOCK_WAIT_MS }, fn);
}

function openSession(layout: StackLayout, settings: StackSettings, logger: Logger): StackSession {
  const state = readState(layout.stateFile);
  return { layout, settings, state, logger, undo: [], save: () => writeState(layout.stateFile, state) };
}

/** Ensures the services side by side; on any failure stops what this call started, then rethrows the first error. */
async function ensureAll(s: StackSession, services: readonly StackService[], nodes: number | undefined): Promise<void> {
  for (const service of services) service.preflight?.();
  const results = await Promise.allSettled(services.map((service) => service.ensure(s, { nodes })));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return;
  for (const undo of s.undo.reverse()) {
    try {
      await undo();
    } catch (err) {
      s.logger.warn({ err }, 'could not stop a service after a failed start');
    }
  }
  s.save();
  throw failed.reason;
}

function endpointsOf(state: StackState): StackEndpoints | undefined {
  const parts = STACK_SERVICES.map((service) => service.endpoints(state));
  if (parts.some((p) => p === undefined)) return undefined;
  const merged = Object.assign({}, ...parts) as Partial<StackEndpoints>;
  return ENDPOINT_KEYS.every((k) => merged[k] !== undefined) ? (merged as StackEndpoints) : undefined;
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
  return withStackLock(layout, logger, async () => {
    const s = openSession(layout, settings, logger);
    await ensureAll(s, STACK_SERVICES, nodes);
    s.save();
    const endpoints = endpointsOf(s.state);
    if (!endpoints) throw new TrailscopeError('INTERNAL', `stack in ${layout.dir} is incomplete after start`);
    writeEnvFile(layout, endpoints);
    return endpoints;
  });
}

/** Stops every process this stack started (verified by pid and command line) and nothing else; data stays. */
export async function stackDown(options: StackOptions = {}): Promise<{ stopped: ServiceName[] }> {
  const layout = resolveLayout(options);
  const logger = options.logger ?? defaultLogger();
  if (!fs.existsSync(layout.stateFile)) return { stopped: [] };
  return withStackLock(layout, logger, async () => {
    const state = readState(layout.stateFile);
    const results = await Promise.all(STACK_SERVICES.map((service) => service.stop(layout, state)));
    writeState(layout.stateFile, state);
    fs.rmSync(layout.envFile, { force: true });
    const stopped = STACK_SERVICES.filter((_, i) => results[i]).map((service) => service.name);
    logger.info({ dir: layout.dir, stopped }, 'stack stopped');
    return { stopped };
  });
}

/** One entry per service: running (our process alive) and healthy (answers its health check). */
export async function stackStatus(options: StackOptions = {}): Promise<ServiceStatus[]> {
  const layout = resolveLayout(options);
  const state = readState(layout.stateFile);
  return Promise.all(STACK_SERVICES.map((service) => service.status(layout, state)));
}

/** The endpoints of a stack whose services are all recorded (running or not), else undefined. */
export function stackEndpoints(options: StackOptions = {}): StackEndpoints | undefined {
  return endpointsOf(readState(resolveLayout(options).stateFile));
}

/**
 * Stops one service of a running stack, keeping its ports and data so `startService` brings it back at the same
 * URL (tests use this to simulate an outage).
 */
export async function stopService(dir: string | undefined, name: ServiceName, options: Omit<StackOptions, 'dir'> = {}): Promise<boolean> {
  const layout = resolveLayout({ ...options, dir });
  const logger = options.logger ?? defaultLogger();
  const service = stackServiceNamed(name);
  return withStackLock(layout, logger, async () => {
    const state = readState(layout.stateFile);
    const refusal = service.notOursToStop?.(layout, state);
    if (refusal) throw new TrailscopeError('USAGE', refusal, { context: { service: name } });
    const stopped = await service.stop(layout, state);
    writeState(layout.stateFile, state);
    logger.info({ service: name, stopped }, 'service stopped');
    return stopped;
  });
}

/** Starts one service again (at its previous port when still free) and waits until it is healthy. */
export async function startService(dir: string | undefined, name: ServiceName, options: Omit<StackOptions, 'dir'> = {}): Promise<StackEndpoints | undefined> {
  const settings = stackSettingsFromEnv(options.env ?? process.env);
  const layout = resolveLayout({ ...options, dir });
  const logger = options.logger ?? defaultLogger();
  const service = stackServiceNamed(name);
  return withStackLock(layout, logger, async () => {
    const s = openSession(layout, settings, logger);
    await ensureAll(s, [service], undefined);
    s.save();
    const endpoints = endpointsOf(s.state);
    if (endpoints) writeEnvFile(layout, endpoints);
    return endpoints;
  });
}
