import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Runs `fn` under the V8 CPU profiler when `dir` is set, writing `<name>.cpuprofile` (open it in Chrome DevTools). */
export async function withCpuProfile<T>(dir: string | undefined, name: string, fn: () => Promise<T>): Promise<T> {
  if (!dir) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}
