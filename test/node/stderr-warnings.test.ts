/**
 * Plain commands print nothing from Node.js itself on stderr (no process warning such as the AWS SDK's
 * NodeVersionSupportWarning) on any Node.js line the suite runs under. Scripts read stderr; a notice on every
 * command buries the messages that matter.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createOpenSearchClient, createS3Client, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, createBucket, deleteBucket, makeConfig, runCli, uniqueBucketName, uniqueNamespace } from '../support/env';

/** Lines Node.js writes for process.emitWarning: `(node:PID) Warning: ...`, `(node:PID) [DEP0040] DeprecationWarning: ...`. */
function nodeWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^\(node:\d+\) /.test(line) || line.includes('NodeVersionSupportWarning'));
}

const namespace = uniqueNamespace('stderr-warn');
const bucket = uniqueBucketName('stderr-warn');
let s3: S3Client;
let opensearch: OpenSearchClient;

beforeAll(async () => {
  const config = makeConfig(namespace);
  s3 = createS3Client(config);
  opensearch = createOpenSearchClient(config);
  await createBucket(s3, bucket);
});

afterAll(async () => {
  await deleteBucket(s3, bucket);
  await cleanupNamespace(opensearch, namespace);
  s3.destroy();
  await opensearch.close();
});

describe(`stderr of plain commands on Node.js ${process.version}`, () => {
  it('search --help writes nothing to stderr', async () => {
    const res = await runCli(['search', '--help']);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
  });

  it('backfill, which builds an AWS SDK client, emits no Node.js warning', async () => {
    // Unset, as in an operator's shell (the test harness sets it for its own process).
    const res = await runCli(['backfill', '--bucket', bucket, '--wait', '--json'], {
      env: { TRAILSCOPE_NAMESPACE: namespace, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined },
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout.trim().split('\n').pop() as string)).toMatchObject({ filesQueued: 0, filesFailed: 0 });
    expect(nodeWarnings(res.stderr)).toEqual([]);
  });

  it('an operator who wants the SDK notice back gets it: the opt-out yields to the environment', async () => {
    const res = await runCli(['backfill', '--bucket', bucket, '--json'], {
      env: { TRAILSCOPE_NAMESPACE: namespace, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' },
    });
    expect(res.code).toBe(0);
    const major = Number(process.versions.node.split('.')[0]);
    // The SDK warns only below Node 22; above, the environment changes nothing and stderr stays clean.
    if (major < 22) expect(nodeWarnings(res.stderr).join('\n')).toContain('NodeVersionSupportWarning');
    else expect(nodeWarnings(res.stderr)).toEqual([]);
  });
});
