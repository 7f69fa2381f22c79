import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';

const port = z.number().int().min(1).max(65535);

const OpenSearchStateSchema = z.object({
  pid: z.number().int().positive().optional(),
  nodes: z.number().int().min(1),
  /** HTTP port of node 1; node i listens on httpPort + i - 1. Kept while stopped so a restart reuses the URL. */
  httpPort: port,
  transportPorts: z.array(port),
  heap: z.string(),
  startedAt: z.string().optional(),
});

const RedisStateSchema = z.discriminatedUnion('managed', [
  z.object({ managed: z.literal(false), url: z.string() }),
  z.object({ managed: z.literal(true), url: z.string(), port, pid: z.number().int().positive().optional(), startedAt: z.string().optional() }),
]);

const S3StateSchema = z.object({
  pid: z.number().int().positive().optional(),
  port,
  startedAt: z.string().optional(),
});

export const StackStateSchema = z.object({
  version: z.literal(1),
  opensearch: OpenSearchStateSchema.optional(),
  redis: RedisStateSchema.optional(),
  s3: S3StateSchema.optional(),
});

export type StackState = z.infer<typeof StackStateSchema>;
export type OpenSearchState = z.infer<typeof OpenSearchStateSchema>;
export type RedisState = z.infer<typeof RedisStateSchema>;
export type S3State = z.infer<typeof S3StateSchema>;

export function emptyState(): StackState {
  return { version: 1 };
}

export function readState(stateFile: string): StackState {
  let text: string;
  try {
    text = fs.readFileSync(stateFile, 'utf8');
  } catch {
    return emptyState();
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TrailscopeError('CONFIG_INVALID', `stack state file ${stateFile} is not valid JSON: delete it after stopping the processes it lists`, { cause, context: { file: stateFile } });
  }
  const parsed = StackStateSchema.safeParse(json);
  if (!parsed.success) {
    throw new TrailscopeError('CONFIG_INVALID', `stack state file ${stateFile} is invalid: ${parsed.error.issues[0]?.message ?? 'unknown shape'}`, {
      context: { file: stateFile },
    });
  }
  return parsed.data;
}

/** Written through a temporary file and a rename so a crash never leaves half a state file. */
export function writeState(stateFile: string, state: StackState): void {
  fs.mkdirSync(path.dirname(stateFile), { recursive: true });
  const tmp = `${stateFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, stateFile);
}
