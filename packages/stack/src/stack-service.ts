import type { Logger } from '@trailscope/runtime';
import type { ServiceName, StackLayout } from './stack-layout';
import type { StackSettings } from './stack-settings';
import type { StackState } from './stack-state';

/** What `stack up` prints and writes to stack.env: the variables every trailscope command reads. */
export interface StackEndpoints {
  OPENSEARCH_URL: string;
  REDIS_URL: string;
  S3_ENDPOINT: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_REGION: string;
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

/** One stack operation's view of a stack directory: its state file, read once and written back by `save`. */
export interface StackSession {
  layout: StackLayout;
  settings: StackSettings;
  state: StackState;
  logger: Logger;
  /** Stops what this operation started, newest first, when a later step fails. */
  undo: Array<() => Promise<unknown>>;
  save: () => void;
}

export interface EnsureRequest {
  /** OpenSearch nodes asked for on the command line; undefined keeps what runs (or 1). */
  nodes?: number;
}

/** One service of the local stack. The stack loops over a list of these; nothing else knows a service by name. */
export interface StackService {
  name: ServiceName;
  /** Fails with a clear error when something this service needs is not installed; runs before any service starts. */
  preflight?(): void;
  /** Starts the service unless it already runs healthy, records it in `s.state` and pushes its undo on `s.undo`. */
  ensure(s: StackSession, request: EnsureRequest): Promise<void>;
  /** Running (our process alive) and healthy (answers its health check). */
  status(layout: StackLayout, state: StackState): Promise<ServiceStatus>;
  /** Stops our process, if any, keeping ports and data; clears its pid in `state`. True when a process was stopped. */
  stop(layout: StackLayout, state: StackState): Promise<boolean>;
  /** Why `stopService` must refuse to stop it (a Redis the stack did not start), else undefined. */
  notOursToStop?(layout: StackLayout, state: StackState): string | undefined;
  /** Its part of the endpoints, once recorded in `state` (running or not); undefined before its first start. */
  endpoints(state: StackState): Partial<StackEndpoints> | undefined;
}
