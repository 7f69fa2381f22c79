import * as path from 'node:path';
import { STACK_ENV_FILE } from '@trailscope/runtime';

export type ServiceName = 'opensearch' | 'redis' | 's3';
export const SERVICE_NAMES: readonly ServiceName[] = ['opensearch', 'redis', 's3'];

/** Where everything of one stack lives; data stays under the directory across down/up. */
export interface StackLayout {
  dir: string;
  stateFile: string;
  envFile: string;
  logsDir: string;
  logFile: (service: ServiceName | 'maven') => string;
  opensearchBase: string;
  redisDir: string;
  s3Dir: string;
  /** Files that only mean something while a process runs (readiness reports). */
  runDir: string;
  s3ReadyFile: string;
}

export function stackLayout(dir: string): StackLayout {
  const abs = path.resolve(dir);
  const logsDir = path.join(abs, 'logs');
  return {
    dir: abs,
    stateFile: path.join(abs, 'state.json'),
    envFile: path.join(abs, STACK_ENV_FILE),
    logsDir,
    logFile: (service) => path.join(logsDir, `${service}.log`),
    opensearchBase: path.join(abs, 'opensearch'),
    redisDir: path.join(abs, 'redis'),
    s3Dir: path.join(abs, 's3'),
    runDir: path.join(abs, 'run'),
    s3ReadyFile: path.join(abs, 'run', 's3-ready.json'),
  };
}
