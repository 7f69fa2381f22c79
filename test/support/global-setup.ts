/**
 * Gives the integration tests real OpenSearch, Redis and S3 endpoints in process.env:
 * - TRAILSCOPE_SKIP_STACK=1: the endpoints already in the environment, untouched;
 * - else the local test stack when it is already running (started by .ci/run, by hand, or by another jest run);
 * - else containers when a Docker engine answers (TRAILSCOPE_TEST_DOCKER=0 to skip);
 * - else the local stack in .trailscope/test-stack, started now.
 * A local stack that a harness started is stopped by the teardown of the last jest run using it.
 */
import type { StackEndpoints } from '@trailscope/stack';
import { TEST_STACK_DIR, buildOnce, dockerAvailable, localStackRunning, stackModule, startContainers } from './services';
import { setTeardownAction } from './teardown-action';

function exportEndpoints(endpoints: StackEndpoints, mode: string): void {
  Object.assign(process.env, endpoints);
  process.env.TRAILSCOPE_TEST_MODE = mode;
}

function say(line: string): void {
  process.stderr.write(`\n[integration] ${line}\n`);
}

export default async function globalSetup(): Promise<void> {
  // The tests' own AWS SDK clients would print the SDK's Node 20 notice into the test output; the CLI entry sets
  // the same switch for every trailscope process.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  buildOnce();
  if (process.env.TRAILSCOPE_SKIP_STACK === '1') {
    process.env.TRAILSCOPE_TEST_MODE = 'external';
    return;
  }

  const useLocalStack = () => {
    stackModule().stackLease(TEST_STACK_DIR, 'harness').take();
    process.env.TRAILSCOPE_TEST_STACK_DIR = TEST_STACK_DIR;
    setTeardownAction(async () => {
      if (stackModule().stackLease(TEST_STACK_DIR, 'harness').release()) await stackModule().stackDown({ dir: TEST_STACK_DIR });
    });
  };

  if (await localStackRunning(TEST_STACK_DIR)) {
    useLocalStack();
    exportEndpoints(await stackModule().stackUp({ dir: TEST_STACK_DIR }), 'local');
    say(`using the running local stack in ${TEST_STACK_DIR}`);
    return;
  }

  const docker = await dockerAvailable();
  if (docker.reason) say(`${docker.reason}: containers are not used`);
  if (docker.available) {
    say('Docker engine found: starting OpenSearch, Redis and MinIO containers');
    const containers = await startContainers();
    exportEndpoints(containers.endpoints, 'containers');
    setTeardownAction(containers.stop);
    return;
  }

  say(`no Docker engine: using the local stack (${TEST_STACK_DIR})`);
  useLocalStack();
  stackModule().stackLease(TEST_STACK_DIR, 'harness').markStarted();
  try {
    exportEndpoints(await stackModule().stackUp({ dir: TEST_STACK_DIR }), 'local');
  } catch (err) {
    // stackUp already stopped what it started, and its error names the service and log file; jest skips the
    // teardown after a failed setup, so the lease is dropped here.
    stackModule().stackLease(TEST_STACK_DIR, 'harness').release();
    throw err;
  }
}
