/**
 * Starting and stopping the real services behind the integration tests. Used by the jest global setup and
 * teardown, which run in jest's parent process outside the module mapper: the stack package is loaded from its
 * build, which the setup refreshes first.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { StackEndpoints } from '@trailscope/stack';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Separate from the developer's `.trailscope/stack` so tests never touch a stack someone uses by hand. */
export const TEST_STACK_DIR = path.join(REPO_ROOT, '.trailscope', 'test-stack');

export const OPENSEARCH_IMAGE = 'opensearchproject/opensearch:2.19.1';
export const REDIS_IMAGE = 'redis:7';
export const MINIO_IMAGE = 'minio/minio:RELEASE.2025-09-07T16-13-09Z';
const MINIO_CREDENTIALS = { user: 'minioadmin', password: 'minioadmin' };

/** The CLI tests spawn the built binary, so the build must match the sources; `tsc -b` is a no-op when it does. */
export function buildOnce(): void {
  if (process.env.TRAILSCOPE_SKIP_BUILD === '1') return;
  const tsc = require.resolve('typescript/bin/tsc', { paths: [REPO_ROOT] });
  const result = spawnSync(process.execPath, [tsc, '-b'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`integration tests need a build and \`tsc -b\` failed (set TRAILSCOPE_SKIP_BUILD=1 to use the existing build):\n${result.stdout}${result.stderr}`);
  }
}

type StackModule = typeof import('@trailscope/stack');

export function stackModule(): StackModule {
  return require('@trailscope/stack') as StackModule;
}

export async function localStackRunning(dir: string): Promise<boolean> {
  const services = await stackModule().stackStatus({ dir });
  return services.every((s) => s.healthy);
}

type Testcontainers = typeof import('testcontainers');

/**
 * testcontainers 12 needs Node 22.22 or newer (it fails to load on Node 20); the suite then runs on the local stack,
 * and says why, rather than failing.
 */
export function loadTestcontainers(): { module?: Testcontainers; reason?: string } {
  try {
    return { module: require('testcontainers') as Testcontainers };
  } catch (err) {
    return { reason: `testcontainers does not load on Node ${process.versions.node} (${(err as Error).message.split('\n')[0]})` };
  }
}

/** Whether a Docker engine answers; `reason` says why not when testcontainers itself is unusable here. */
export async function dockerAvailable(): Promise<{ available: boolean; reason?: string }> {
  if (process.env.TRAILSCOPE_TEST_DOCKER === '0') return { available: false };
  const { module, reason } = loadTestcontainers();
  if (!module) return { available: false, reason };
  try {
    await module.getContainerRuntimeClient();
    return { available: true };
  } catch {
    return { available: false };
  }
}

export interface Containers {
  endpoints: StackEndpoints;
  stop: () => Promise<void>;
}

/** OpenSearch 2.19.1 without the security plugin, Redis 7 and MinIO: the versions docker-compose.yml runs. */
export async function startContainers(): Promise<Containers> {
  const { module, reason } = loadTestcontainers();
  if (!module) throw new Error(reason);
  const { GenericContainer, Wait } = module;
  const [opensearch, redis, minio] = await Promise.all([
    new GenericContainer(OPENSEARCH_IMAGE)
      .withEnvironment({
        'discovery.type': 'single-node',
        DISABLE_SECURITY_PLUGIN: 'true',
        DISABLE_INSTALL_DEMO_CONFIG: 'true',
        OPENSEARCH_JAVA_OPTS: '-Xms1g -Xmx1g',
        'cluster.routing.allocation.disk.threshold_enabled': 'false',
      })
      .withExposedPorts(9200)
      .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow', 9200).forStatusCode(200))
      .withStartupTimeout(300000)
      .start(),
    new GenericContainer(REDIS_IMAGE).withExposedPorts(6379).withWaitStrategy(Wait.forLogMessage('Ready to accept connections')).start(),
    new GenericContainer(MINIO_IMAGE)
      .withCommand(['server', '/data'])
      .withEnvironment({ MINIO_ROOT_USER: MINIO_CREDENTIALS.user, MINIO_ROOT_PASSWORD: MINIO_CREDENTIALS.password })
      .withExposedPorts(9000)
      .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000).forStatusCode(200))
      .start(),
  ]);
  return {
    endpoints: {
      OPENSEARCH_URL: `http://${opensearch.getHost()}:${opensearch.getMappedPort(9200)}`,
      REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
      S3_ENDPOINT: `http://${minio.getHost()}:${minio.getMappedPort(9000)}`,
      AWS_ACCESS_KEY_ID: MINIO_CREDENTIALS.user,
      AWS_SECRET_ACCESS_KEY: MINIO_CREDENTIALS.password,
      AWS_REGION: 'us-east-1',
    },
    stop: async () => {
      await Promise.allSettled([opensearch.stop(), redis.stop(), minio.stop()]);
    },
  };
}
