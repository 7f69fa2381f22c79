import { randomUUID } from 'node:crypto';
import type { OpenSearchClient } from '@trailscope/runtime';
import { TrailscopeError } from '@trailscope/model';

/** How long a search may run and who may give up on it. */
export interface RequestLimits {
  /**
   * Aborted when the caller gives up (its client disconnected, its deadline passed): the HTTP request to
   * OpenSearch is aborted and the search task cancelled in the cluster. Its reason, when a TrailscopeError, is
   * what the search then throws.
   */
  signal?: AbortSignal;
  /** OpenSearch's own per-request `timeout`: shards stop collecting after it and the answer says `timed_out`. */
  timeoutMs?: number;
}

/** Transport options for one request: the X-Opaque-Id its task is found by. */
export interface TaskTransportOptions {
  opaqueId: string;
}

interface AbortablePromise<T> extends Promise<T> {
  abort(): void;
}

/** Prefix of the X-Opaque-Id of every search trailscope sends, so its tasks can be told apart in `_tasks`. */
export const OPAQUE_ID_PREFIX = 'trailscope-';

/** The body fragment asking OpenSearch to stop the search after `timeoutMs`. */
export function searchTimeout(limits: RequestLimits): { timeout?: string } {
  return limits.timeoutMs !== undefined ? { timeout: `${Math.max(1, Math.floor(limits.timeoutMs))}ms` } : {};
}

/**
 * A search that ran into OpenSearch's `timeout` answers with what the shards collected so far and `timed_out`:
 * counts and pages from it would be silently short, so it is a TIMEOUT instead.
 */
export function assertComplete(body: { timed_out?: boolean }, what: string, limits: RequestLimits): void {
  if (body.timed_out === true) {
    throw new TrailscopeError('TIMEOUT', `${what}: not finished within ${limits.timeoutMs ?? 'the search timeout of'} ms; narrow the time range or the filters`, {
      context: { limit: limits.timeoutMs },
    });
  }
}

function abortReason(signal: AbortSignal, what: string, cause?: unknown): TrailscopeError {
  const reason: unknown = signal.reason;
  if (reason && typeof reason === 'object' && (reason as { name?: unknown }).name === 'TrailscopeError') return reason as TrailscopeError;
  return new TrailscopeError('TIMEOUT', `${what}: given up before it finished`, { cause: cause ?? reason });
}

interface TaskList {
  nodes?: Record<string, { tasks?: Record<string, { headers?: Record<string, string>; parent_task_id?: string }> }>;
}

/** Ids of the running tasks sent with this X-Opaque-Id (OpenSearch copies the header into each task's headers). */
export async function tasksWithOpaqueId(client: OpenSearchClient, opaqueId: string): Promise<string[]> {
  const res = await client.tasks.list({ actions: 'indices:data/read/*', detailed: false } as never);
  const ids: string[] = [];
  for (const node of Object.values((res.body as TaskList).nodes ?? {})) {
    for (const [id, task] of Object.entries(node.tasks ?? {})) {
      if (task.headers?.['X-Opaque-Id'] === opaqueId && task.parent_task_id === undefined) ids.push(id);
    }
  }
  return ids;
}

const CANCEL_ROUNDS = 3;

/**
 * Cancels the tasks of one request in the cluster. OpenSearch also cancels a search whose HTTP connection closes,
 * but only once it notices; this makes sure, looking a few times since the task may register after the abort.
 * Best effort: a cluster that does not answer cannot run the task either.
 */
async function cancelTasks(client: OpenSearchClient, opaqueId: string): Promise<void> {
  for (let round = 0; round < CANCEL_ROUNDS; round += 1) {
    let ids: string[];
    try {
      ids = await tasksWithOpaqueId(client, opaqueId);
    } catch {
      return;
    }
    if (ids.length === 0 && round > 0) return;
    await Promise.all(ids.map((task_id) => client.tasks.cancel({ task_id } as never).catch(() => undefined)));
    await new Promise((resolve) => setTimeout(resolve, 50 * (round + 1)));
  }
}

/**
 * Sends one OpenSearch request that gives up when `limits.signal` aborts: the client request is aborted and the
 * task cancelled in the cluster (found by the X-Opaque-Id set here), so no search keeps running after its caller
 * stopped waiting.
 */
export async function cancellable<T>(
  client: OpenSearchClient,
  limits: RequestLimits,
  send: (transport: TaskTransportOptions) => AbortablePromise<T> | Promise<T>,
  what = 'search',
): Promise<T> {
  const { signal } = limits;
  if (signal?.aborted) throw abortReason(signal, what);
  const opaqueId = `${OPAQUE_ID_PREFIX}${randomUUID()}`;
  const pending = send({ opaqueId });
  if (!signal) return pending;
  let cancelling: Promise<void> | undefined;
  const onAbort = () => {
    (pending as Partial<AbortablePromise<T>>).abort?.();
    cancelling = cancelTasks(client, opaqueId);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await pending;
  } catch (err) {
    if (signal.aborted) {
      await cancelling;
      throw abortReason(signal, what, err);
    }
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
