import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';
import type { Logger } from '@trailscope/runtime';
import { isOwnedProcess, seeLog, spawnDetached, stopOwnedProcess } from './owned-process';
import { preferredOrFreePort } from './ports';
import type { StackLayout } from './stack-layout';
import type { S3State } from './stack-state';
import { waitUntil } from './wait-until';

/** s3rver's built-in account; any S3 client of the local stack signs with it. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1' } as const;

/** Plain JavaScript so the same file runs from sources (tests) and from the build: src/ and dist/ are siblings of bin/. */
export const S3_SERVER_SCRIPT = path.resolve(__dirname, '..', 'bin', 's3-server.js');

/** Node flags s3rver needs (OpenSSL's legacy provider), declared with its patches; the module itself needs no s3rver. */
const { S3RVER_NODE_FLAGS } = require('../bin/s3rver-patches.js') as { S3RVER_NODE_FLAGS: string[] };

export function s3Url(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export function s3Markers(layout: StackLayout): string[] {
  return [S3_SERVER_SCRIPT, `--directory ${layout.s3Dir} `];
}

const ReadySchema = z.object({ port: z.number().int(), pid: z.number().int() });

/** Any HTTP answer means the server is up (an unsigned request earns an S3 error document, which is fine). */
export async function probeS3(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

function readReady(file: string): z.infer<typeof ReadySchema> | undefined {
  try {
    const parsed = ReadySchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * s3rver is a development dependency of this package: a production install (`npm ci --omit=dev`, the Docker image)
 * leaves it out, and the stack says so instead of a MODULE_NOT_FOUND stack trace in the S3 server's log.
 */
export function assertS3ServerInstalled(resolve: (id: string) => string = (id) => require.resolve(id, { paths: [path.dirname(S3_SERVER_SCRIPT)] })): void {
  try {
    resolve('s3rver');
  } catch (cause) {
    throw new TrailscopeError(
      'STACK_START_FAILED',
      'the local stack\'s S3 server needs s3rver, a development dependency that this installation does not have (a production install such as the Docker image leaves it out): run `npm ci` in the trailscope repository, or set S3_ENDPOINT to an S3-compatible server',
      { cause, context: { service: 's3', package: 's3rver' } },
    );
  }
}

export async function startS3(options: { layout: StackLayout; previousPort?: number; timeoutMs: number; logger: Logger }): Promise<S3State> {
  const { layout, logger } = options;
  const port = await preferredOrFreePort(options.previousPort);
  const logFile = layout.logFile('s3');
  fs.mkdirSync(layout.s3Dir, { recursive: true });
  fs.rmSync(layout.s3ReadyFile, { force: true });
  const args = [...S3RVER_NODE_FLAGS, S3_SERVER_SCRIPT, '--port', String(port), '--directory', layout.s3Dir, '--ready-file', layout.s3ReadyFile];
  const { pid, logOffset } = await spawnDetached({ command: process.execPath, args, cwd: layout.dir, logFile });
  logger.info({ service: 's3', childPid: pid, url: s3Url(port), log: logFile }, 'S3 server starting');
  const ready = await waitUntil(
    async () => {
      const report = readReady(layout.s3ReadyFile);
      if (report && report.pid === pid && (await probeS3(s3Url(report.port)))) return report;
      if (!isOwnedProcess(pid, s3Markers(layout))) {
        throw new TrailscopeError('STACK_START_FAILED', `s3 server exited during startup; ${seeLog(logFile, logOffset)}`, {
          context: { service: 's3', log: logFile },
        });
      }
      return undefined;
    },
    { timeoutMs: options.timeoutMs, intervalMs: 200 },
  );
  if (!ready) {
    await stopOwnedProcess(pid, s3Markers(layout), 5000);
    throw new TrailscopeError('STACK_START_FAILED', `s3 server did not answer at ${s3Url(port)} within ${Math.round(options.timeoutMs / 1000)} s; see ${logFile}`, {
      context: { service: 's3', log: logFile },
    });
  }
  return { pid, port: ready.port, startedAt: new Date().toISOString() };
}

export function s3IsRunning(layout: StackLayout, state: S3State | undefined): boolean {
  return isOwnedProcess(state?.pid, s3Markers(layout));
}

export async function stopS3(layout: StackLayout, state: S3State | undefined): Promise<boolean> {
  return stopOwnedProcess(state?.pid, s3Markers(layout), 10000);
}
