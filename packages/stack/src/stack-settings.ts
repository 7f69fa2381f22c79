import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';

/** Settings of the local stack that come from the environment; parsed here and nowhere else in this package. */
export interface StackSettings {
  /** Heap per OpenSearch node as a JVM size ("1g", "512m"); the JVM gets nodes x heap. */
  opensearchHeap: string;
  /** REDIS_URL of the environment: used instead of starting Redis when it answers. */
  redisUrl?: string;
  /** `managed` always starts our own redis-server, even when another Redis answers. */
  redisMode: 'auto' | 'managed';
  javaCommand: string;
  mavenCommand: string;
  /** Where the OpenSearch runner's jars are copied once and shared by every stack directory. */
  cacheDir: string;
  opensearchStartTimeoutMs: number;
  serviceStartTimeoutMs: number;
  mavenTimeoutMs: number;
}

const EnvSchema = z.object({
  TRAILSCOPE_OPENSEARCH_HEAP: z
    .string()
    .regex(/^[1-9][0-9]*[mMgG]$/, 'TRAILSCOPE_OPENSEARCH_HEAP must be a JVM size such as 512m or 2g')
    .default('1g'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'REDIS_URL must start with redis:// or rediss://').optional(),
  TRAILSCOPE_STACK_REDIS: z.enum(['auto', 'managed'], 'TRAILSCOPE_STACK_REDIS must be auto or managed').default('auto'),
  JAVA_HOME: z.string().optional(),
  TRAILSCOPE_CACHE_DIR: z.string().optional(),
  XDG_CACHE_HOME: z.string().optional(),
  TRAILSCOPE_STACK_TIMEOUT_MS: z.coerce.number().int().min(1000, 'TRAILSCOPE_STACK_TIMEOUT_MS must be at least 1000').default(240000),
});

export function stackSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): StackSettings {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'environment');
    throw new TrailscopeError('CONFIG_INVALID', `invalid ${key}: ${issue?.message ?? 'invalid value'}`, { context: { variable: key } });
  }
  const e = parsed.data;
  const cacheRoot = e.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return {
    opensearchHeap: e.TRAILSCOPE_OPENSEARCH_HEAP.toLowerCase(),
    redisUrl: e.REDIS_URL,
    redisMode: e.TRAILSCOPE_STACK_REDIS,
    javaCommand: e.JAVA_HOME ? path.join(e.JAVA_HOME, 'bin', 'java') : 'java',
    mavenCommand: 'mvn',
    cacheDir: path.resolve(e.TRAILSCOPE_CACHE_DIR ?? path.join(cacheRoot, 'trailscope')),
    opensearchStartTimeoutMs: e.TRAILSCOPE_STACK_TIMEOUT_MS,
    serviceStartTimeoutMs: Math.min(e.TRAILSCOPE_STACK_TIMEOUT_MS, 30000),
    mavenTimeoutMs: 20 * 60 * 1000,
  };
}

/** Heap per node times node count, in megabytes, for -Xms/-Xmx. */
export function totalHeapMb(heapPerNode: string, nodes: number): number {
  const m = /^([0-9]+)([mg])$/.exec(heapPerNode.toLowerCase());
  if (!m) throw new TrailscopeError('CONFIG_INVALID', `invalid TRAILSCOPE_OPENSEARCH_HEAP: "${heapPerNode}"`);
  const mb = Number(m[1]) * (m[2] === 'g' ? 1024 : 1);
  return mb * nodes;
}
