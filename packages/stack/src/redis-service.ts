import * as fs from 'node:fs';
import IORedis from 'ioredis';
import { TrailscopeError, errorMessageOf } from '@trailscope/model';
import type { Logger } from '@trailscope/runtime';
import { isOwnedProcess, seeLog, spawnDetached, stopOwnedProcess, type Marker } from './owned-process';
import { preferredOrFreePort } from './ports';
import type { StackLayout } from './stack-layout';
import type { StackSettings } from './stack-settings';
import type { RedisState } from './stack-state';
import { waitUntil } from './wait-until';

export const DEFAULT_LOCAL_REDIS = 'redis://127.0.0.1:6379';

export function redisUrlFor(port: number): string {
  return `redis://127.0.0.1:${port}`;
}

/** redis-server rewrites its process title to "redis-server <addr>:<port>" soon after it starts. */
export function redisMarkers(port: number): Marker[] {
  return ['redis-server', [`:${port}`, `--port ${port} `]];
}

/** True when a Redis answers PING at `url` within the timeout. */
export async function pingRedis(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = new IORedis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Which Redis to use, per the stack's rule: a recorded running one, else REDIS_URL when it answers, else
 * 127.0.0.1:6379 when it answers, else our own redis-server. Returns undefined when ours must be started.
 */
export async function existingRedis(settings: StackSettings, previous: RedisState | undefined): Promise<RedisState | undefined> {
  if (previous?.managed) {
    return isOwnedProcess(previous.pid, redisMarkers(previous.port)) && (await pingRedis(previous.url)) ? previous : undefined;
  }
  if (settings.redisMode === 'managed') return undefined;
  if (previous && !previous.managed && (await pingRedis(previous.url))) return previous;
  if (settings.redisUrl && (await pingRedis(settings.redisUrl))) return { managed: false, url: settings.redisUrl };
  if (await pingRedis(DEFAULT_LOCAL_REDIS)) return { managed: false, url: DEFAULT_LOCAL_REDIS };
  return undefined;
}

/** Starts our redis-server without persistence (queues of a dev stack are disposable) and waits for PING. */
export async function startRedis(options: { layout: StackLayout; previousPort?: number; timeoutMs: number; logger: Logger }): Promise<RedisState> {
  const { layout, logger } = options;
  const port = await preferredOrFreePort(options.previousPort);
  const logFile = layout.logFile('redis');
  fs.mkdirSync(layout.redisDir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', layout.redisDir, '--daemonize', 'no'];
  let spawned: { pid: number; logOffset: number };
  try {
    spawned = await spawnDetached({ command: 'redis-server', args, cwd: layout.dir, logFile });
  } catch (cause) {
    throw new TrailscopeError(
      'STACK_START_FAILED',
      `${errorMessageOf(cause)}: the stack starts its own Redis when REDIS_URL and 127.0.0.1:6379 do not answer; install it (apt-get install redis-server) or set REDIS_URL to a running Redis`,
      { cause, context: { service: 'redis', log: logFile } },
    );
  }
  const state: RedisState = { managed: true, url: redisUrlFor(port), port, pid: spawned.pid, startedAt: new Date().toISOString() };
  logger.info({ service: 'redis', childPid: spawned.pid, url: state.url, log: logFile }, 'Redis starting');
  const ok = await waitUntil(
    async () => {
      if (!isOwnedProcess(spawned.pid, redisMarkers(port))) {
        throw new TrailscopeError('STACK_START_FAILED', `redis-server exited during startup; ${seeLog(logFile, spawned.logOffset)}`, {
          context: { service: 'redis', log: logFile },
        });
      }
      return (await pingRedis(state.url)) ? true : undefined;
    },
    { timeoutMs: options.timeoutMs, intervalMs: 200 },
  );
  if (!ok) {
    await stopOwnedProcess(spawned.pid, redisMarkers(port), 5000);
    throw new TrailscopeError('STACK_START_FAILED', `redis did not answer PING at ${state.url} within ${Math.round(options.timeoutMs / 1000)} s; see ${logFile}`, {
      context: { service: 'redis', log: logFile },
    });
  }
  return state;
}

export async function stopRedis(state: RedisState | undefined): Promise<boolean> {
  if (!state?.managed) return false;
  return stopOwnedProcess(state.pid, redisMarkers(state.port), 15000);
}
