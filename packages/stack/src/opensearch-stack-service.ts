import { TrailscopeError } from '@trailscope/model';
import { withFileLock } from './file-lock';
import {
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
import type { EnsureRequest, ServiceStatus, StackService, StackSession } from './stack-service';

const START_ATTEMPTS = 3;
const MACHINE_LOCK_WAIT_MS = 20 * 60 * 1000;

async function ensure(s: StackSession, { nodes: requestedNodes }: EnsureRequest): Promise<void> {
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
  // two of them from choosing the same free port before either binds it. The lock lives in the cache directory,
  // which every stack directory of this user shares.
  await withFileLock({ dir: settings.cacheDir, name: 'opensearch-start', logger, waitMs: MACHINE_LOCK_WAIT_MS }, async () => {
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

export const opensearchStackService: StackService = {
  name: 'opensearch',
  ensure,

  async status(layout, state) {
    const osState = state.opensearch;
    const status: ServiceStatus = { service: 'opensearch', managed: true, running: false, healthy: false, log: layout.logFile('opensearch') };
    if (!osState) return status;
    status.url = opensearchUrl(osState);
    status.nodes = osState.nodes;
    if (isOwnedProcess(osState.pid, opensearchMarkers(layout))) {
      const health = await probeOpenSearch(status.url);
      Object.assign(status, {
        running: true,
        pid: osState.pid,
        healthy: isHealthyCluster(health, osState.nodes),
        detail: health ? `cluster ${health.status}, ${health.number_of_nodes} node(s)` : 'not answering',
      });
    }
    return status;
  },

  async stop(layout, state) {
    const stopped = await stopOpenSearch(layout, state.opensearch);
    if (state.opensearch) delete state.opensearch.pid;
    return stopped;
  },

  endpoints: (state) => (state.opensearch ? { OPENSEARCH_URL: opensearchUrl(state.opensearch) } : undefined),
};
