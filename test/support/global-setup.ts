/**
 * Gives the integration tests real OpenSearch, Redis and S3 endpoints in process.env:
 * - TRAILSCOPE_SKIP_STACK=1: the endpoints already in the environment, untouched;
 * - else the local test stack when it is already running (e.g. started by .ci/run), left running afterwards;
 * - else containers when a Docker engine answers (TRAILSCOPE_TEST_DOCKER=0 to skip);
 * - else the local stack in .trailscope/test-stack, started now and stopped by the teardown.
 */
import type { Endpoints } from './services';
import { TEST_STACK_DIR, buildOnce, dockerAvailable, localStackRunning, stackModule, startContainers } from './services';
import { setTeardownAction } from './teardown-action';

function exportEndpoints(endpoints: Endpoints, mode: string): void {
  Object.assign(process.env, endpoints);
  process.env.TRAILSCOPE_TEST_MODE = mode;
}

function say(line: string): void {
  process.stderr.write(`\n[integration] ${line}\n`);
}

export default async function globalSetup(): Promise<void> {
  buildOnce();
  if (process.env.TRAILSCOPE_SKIP_STACK === '1') {
    process.env.TRAILSCOPE_TEST_MODE = 'external';
    return;
  }

  if (await localStackRunning(TEST_STACK_DIR)) {
    const endpoints = await stackModule().stackUp({ dir: TEST_STACK_DIR });
    exportEndpoints(endpoints, 'local');
    process.env.TRAILSCOPE_TEST_STACK_DIR = TEST_STACK_DIR;
    say(`using the running local stack in ${TEST_STACK_DIR}`);
    return;
  }

  if (await dockerAvailable()) {
    say('Docker engine found: starting OpenSearch, Redis and MinIO containers');
    const containers = await startContainers();
    exportEndpoints(containers.endpoints, 'containers');
    setTeardownAction(containers.stop);
    return;
  }

  say(`no Docker engine: using the local stack (${TEST_STACK_DIR})`);
  const { stackUp, stackDown } = stackModule();
  // On failure stackUp stops what it started itself, and its error names the service and log file.
  exportEndpoints(await stackUp({ dir: TEST_STACK_DIR }), 'local');
  process.env.TRAILSCOPE_TEST_STACK_DIR = TEST_STACK_DIR;
  setTeardownAction(async () => {
    await stackDown({ dir: TEST_STACK_DIR });
  });
}
